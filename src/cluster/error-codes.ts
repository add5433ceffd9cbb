/** The codes the cluster's primary raises. */

/** At start (no HTTP status): a proxy worker could not start, or exited while starting. */
export const CLUSTER_WORKER_START = 'GH-CLUSTER-WORKER-START';
