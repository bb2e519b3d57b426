// Public face of the runtime: `xplane serve`'s control plane, assembled and started.
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.js';
