import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist, splitTrainVal, take } from '../data/index.js';
import type { Model } from '../ir/graph.js';
import { loadModel, saveModel } from '../onnx/index.js';
import { allocateSparsity, analyzeSensitivity, applyMasks, planPruning, pruneReport, type PruneReport, type SensitivityResult } from '../prune/index.js';
import { measureModel, type Measurement } from '../report/measure.js';
import { train, zeroMasks } from '../train/index.js';
import { buildZooModel } from '../zoo/index.js';

/** The bundled default: LeNet-5-Caffe trained on MNIST by `secateurs train` (see models/README.md). */
export const BUNDLED_MODEL = fileURLToPath(new URL('../../models/lenet5-mnist.onnx', import.meta.url));

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** An .onnx path or `zoo:NAME`; default the bundled trained LeNet-5. */
  readonly model?: string;
  /** Global sparsity to reach; default 0.9. */
  readonly sparsity?: number;
  /** Training samples used for the fine-tuning epoch; default 30,000. */
  readonly finetuneSamples?: number;
  /** Evaluate on the first `limit` MNIST test images; default all 10,000. */
  readonly limit?: number;
  /** Write the pruned model here (sparse initializers where smaller). */
  readonly out?: string;
  /** Show progress bars. */
  readonly progress?: boolean;
  /** Receives one line per step. */
  readonly log?: ((line: string) => void) | undefined;
}

/** Everything the demo measured. */
export interface DemoReport {
  readonly model: string;
  readonly before: Measurement;
  readonly after: Measurement;
  readonly sensitivity: SensitivityResult;
  /** Per-layer sparsity chosen from the sensitivity curves. */
  readonly allocation: Readonly<Record<string, number>>;
  readonly report: PruneReport;
  readonly out: string | undefined;
  /** Size on disk of the saved pruned model (sparse initializers where smaller). */
  readonly outBytes: number | undefined;
  readonly seconds: number;
}

/**
 * The main job on the bundled default: measure the trained LeNet-5; run a sensitivity analysis (each layer pruned
 * alone at several levels, scored on 2,000 held-out training images, never on the test set); allocate per-layer
 * sparsity reaching 90% overall with the least predicted loss; prune by magnitude; fine-tune one epoch with the pruned
 * weights held at zero; measure again (accuracy on MNIST test, parameters, MACs, raw/gzip size, latency).
 *
 * @example
 * ```ts
 * const r = await runDemo({ limit: 2000 });
 * console.log(r.before.eval?.top1, '->', r.after.eval?.top1, r.report.compressionRatio);
 * ```
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoReport> {
  const t0 = performance.now();
  const spec = opts.model ?? BUNDLED_MODEL;
  const log = opts.log ?? (() => undefined);
  const model: Model = spec.startsWith('zoo:') ? buildZooModel(spec.slice(4), { seed: 0 }) : await loadModel(spec);
  const [full, test] = [await loadMnist({ split: 'train' }), await loadMnist({ split: 'test' })];
  const { train: trainSet, val } = splitTrainVal(full, { valCount: 2000, seed: 0, stratified: true });
  const testSet = opts.limit !== undefined ? take(test, opts.limit) : test;
  log(`measuring ${spec}`);
  const before = await measureModel(model, testSet, { progress: opts.progress ?? false });
  log('sensitivity analysis: each layer pruned alone at 0-95%, on 2,000 held-out training images');
  const sensitivity = await analyzeSensitivity(model, val, { levels: [0, 0.5, 0.7, 0.8, 0.9, 0.95], metric: 'labels', workers: 2, progress: opts.progress ?? false });
  const sparsity = opts.sparsity ?? 0.9;
  const allocation = allocateSparsity(sensitivity, { kind: 'sparsity', value: sparsity }).sparsities;
  log(`allocated: ${Object.entries(allocation).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(', ')}`);
  const pruned = applyMasks(model, await planPruning(model, { criterion: 'magnitude', scope: { kind: 'explicit', sparsities: allocation } }));
  log('fine-tuning one epoch with the pruned weights held at zero');
  const tuned = await train(pruned, take(trainSet, opts.finetuneSamples ?? 30_000), {
    epochs: 1, optimizer: 'adam', lr: 2e-4, masks: zeroMasks(pruned), progress: opts.progress ?? false,
  });
  if (opts.out) {
    await mkdir(dirname(opts.out), { recursive: true });
    await saveModel(tuned.model, opts.out, { sparse: 'all' });
  }
  log('measuring the pruned model');
  const after = await measureModel(tuned.model, testSet, { progress: opts.progress ?? false });
  return {
    model: spec, before, after, sensitivity, allocation, report: await pruneReport(tuned.model), out: opts.out,
    outBytes: opts.out ? (await stat(opts.out)).size : undefined,
    seconds: (performance.now() - t0) / 1000,
  };
}
