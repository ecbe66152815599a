import { fileURLToPath } from 'node:url';
import { loadMnist } from '../data/index.js';
import type { Model } from '../ir/graph.js';
import { encodeModel, loadModel } from '../onnx/index.js';
import { summarizeModel, type ModelSummary } from '../report/summary.js';
import { benchLatency, evaluate, type LatencyStats } from '../runtime/index.js';
import { buildZooModel } from '../zoo/index.js';

/** The bundled default: LeNet-5-Caffe trained on MNIST by `secateurs train` (see models/README.md). */
export const BUNDLED_MODEL = fileURLToPath(new URL('../../models/lenet5-mnist.onnx', import.meta.url));

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** An .onnx path or `zoo:NAME`; default the bundled trained LeNet-5. */
  readonly model?: string;
  /** Evaluate on the first `limit` MNIST test images; default all 10,000. */
  readonly limit?: number;
  /** Show a progress bar during evaluation. */
  readonly progress?: boolean;
  /** Receives one line per step. */
  readonly log?: ((line: string) => void) | undefined;
}

/** Everything the demo measured. */
export interface DemoReport {
  readonly model: string;
  readonly summary: ModelSummary;
  readonly eval: { readonly data: string; readonly count: number; readonly top1: number; readonly top5: number; readonly loss: number; readonly samplesPerSec: number };
  readonly latency: readonly LatencyStats[];
  readonly note: string;
}

/**
 * The bundled end-to-end job: load the bundled trained LeNet-5 (or another model), report its structure and cost,
 * evaluate it on MNIST and measure its latency in onnxruntime. (Pruning and recovery join this job as they land.)
 *
 * @example
 * ```ts
 * const r = await runDemo({ limit: 1000 });
 * console.log(r.summary.params, r.eval.top1, r.latency[0]?.medianMs);
 * ```
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoReport> {
  const spec = opts.model ?? BUNDLED_MODEL;
  const log = opts.log ?? (() => undefined);
  log(`loading ${spec}`);
  const model: Model = spec.startsWith('zoo:') ? buildZooModel(spec.slice(4), { seed: 0 }) : await loadModel(spec);
  const bytes = encodeModel(model);
  const summary = await summarizeModel(model, bytes, { batch: 1 });
  log('loading MNIST test set');
  const test = await loadMnist({ split: 'test' });
  log(`evaluating on ${opts.limit ?? test.count} images`);
  const r = await evaluate(model, test, { batchSize: 256, progress: opts.progress ?? false, ...(opts.limit !== undefined ? { limit: opts.limit } : {}) });
  log('measuring latency');
  const latency = await benchLatency(model, { batchSizes: [1, 32], runs: 50, warmup: 10, threads: 1 });
  return {
    model: spec,
    summary,
    eval: { data: 'mnist/test', count: r.count, top1: r.top1, top5: r.top5, loss: r.loss, samplesPerSec: r.samplesPerSec },
    latency,
    note: spec.startsWith('zoo:') ? 'A zoo model is freshly initialized, so its accuracy is near chance.' : 'Pruning and recovery are the next stages of this job.',
  };
}
