import type { Dataset } from '../data/index.js';
import type { Model } from '../ir/graph.js';
import { encodeModel } from '../onnx/index.js';
import { benchLatency, evaluate, type LatencyStats } from '../runtime/index.js';
import { summarizeModel, type ModelSummary } from './summary.js';

/** Accuracy, size, parameters, MACs and latency of one model: one column of every before/after report. */
export interface Measurement {
  readonly summary: ModelSummary;
  readonly eval: { readonly data: string; readonly count: number; readonly top1: number; readonly top5: number; readonly loss: number } | undefined;
  readonly latency: readonly LatencyStats[];
}

/** Options of {@link measureModel}. */
export interface MeasureOptions {
  /** Evaluate on the first `limit` samples only. */
  readonly limit?: number;
  /** Latency batch sizes; default [1, 32]. */
  readonly batchSizes?: readonly number[];
  /** Timed latency runs per batch size; default 30. */
  readonly runs?: number;
  readonly progress?: boolean;
}

/**
 * Measures a model the way every command reports it: structure and cost (params, nonzero params, MACs, raw/gzip
 * size), accuracy on a labelled test set when given, and onnxruntime latency (1 thread).
 *
 * @example
 * ```ts
 * const before = await measureModel(model, await loadMnist({ split: 'test' }), { limit: 2000 });
 * console.log(before.summary.params, before.eval?.top1, before.latency[0]?.medianMs);
 * ```
 */
export async function measureModel(model: Model, test: Dataset | undefined, opts: MeasureOptions = {}): Promise<Measurement> {
  const summary = await summarizeModel(model, encodeModel(model), { batch: 1 });
  const r = test ? await evaluate(model, test, { batchSize: 256, progress: opts.progress ?? false, ...(opts.limit !== undefined ? { limit: opts.limit } : {}) }) : undefined;
  const latency = await benchLatency(model, { batchSizes: opts.batchSizes ?? [1, 32], runs: opts.runs ?? 30, warmup: 5, threads: 1 });
  return {
    summary,
    eval: r && test ? { data: `${test.name}/${test.split}`, count: r.count, top1: r.top1, top5: r.top5, loss: r.loss } : undefined,
    latency,
  };
}
