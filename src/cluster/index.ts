import { workerCount, type Settings } from '../config/settings.js';
import type { Logger } from '../log.js';
import { startGatehouse, type Gatehouse } from '../runtime.js';
import { startCluster } from './primary.js';

/**
 * `gatehouse start` (and the demo): one process when GATEHOUSE_WORKERS is 1 — exactly
 * the single-process node, no cluster — else a primary and one proxy worker per core (within the CPU quota)
 * (or as many as GATEHOUSE_WORKERS says).
 */
export function startNode(options: { settings: Settings; log: Logger }): Promise<Gatehouse> {
  const workers = workerCount(options.settings);
  if (workers <= 1) return startGatehouse(options);
  return startCluster({ ...options, workers });
}

export { startCluster, type WorkerInfo } from './primary.js';
