// Public face of the leader election among replicas that share one store.
export { Leadership, CONTROLLER_LEASE, newReplicaId, type LeaderView, type LeadershipOptions } from './leadership.js';
