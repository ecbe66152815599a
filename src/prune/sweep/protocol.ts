/** Messages between the sensitivity sweep and its worker threads (structured-clone data only). */
import type { CellMetrics, SweepData, SweepSetup } from './evaluator.js';

/** Marks the `workerData` of a sweep worker (the entry module does nothing without it). */
export const WORKER_KIND = 'secateurs/sensitivity-worker';

/** `workerData` of a sweep worker. */
export interface WorkerInit {
  readonly kind: typeof WORKER_KIND;
  /** The encoded model whose swept weights are graph inputs. */
  readonly model: Uint8Array;
  readonly data: SweepData;
  readonly setup: SweepSetup;
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'job'; readonly id: number; readonly layer: string; readonly mask: Uint8Array }
  | { readonly type: 'close' };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready'; readonly dense: CellMetrics }
  | { readonly type: 'result'; readonly id: number; readonly metrics: CellMetrics }
  | { readonly type: 'error'; readonly message: string };
