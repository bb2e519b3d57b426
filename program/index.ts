// The Pulumi program of the GitOps repo (Pulumi.yaml `main: program/`): one
// stack = one region, its nodes (EC2 VMs, or agent processes on this machine
// for a `local` region) and its part of each service's DNS, from
// `xplane:region` / `xplane:pools` and platform-config/; or, with
// `xplane:role: global`, the Cloudflare load balancers over every region.
//
// Only a default export here: the Pulumi nodejs runtime refuses an entry
// module with both a default and named exports ("either a default export or
// named exports but not both"), so the inline-program factory lives in
// xplane-program.ts.
import { xplaneProgram } from './xplane-program.js';

/** The function the Pulumi nodejs runtime calls (repo root = the folder of Pulumi.yaml); its result becomes the stack outputs. */
export default xplaneProgram();
