import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { batchCount } from '../data/batch.js';
import type { Dataset } from '../data/types.js';
import { SecateursError } from '../errors.js';
import type { Model } from '../ir/graph.js';
import { resolveProgress } from '../runtime/index.js';
import type { BestEpoch, EpochStats } from './book.js';
import { loadCheckpoint, type Checkpoint } from './checkpoint.js';
import { exportTrained } from './export.js';
import { createOptimizer } from './optim/index.js';
import type { Optimizer } from './optim/types.js';
import { entriesOf, resolveOptions, type ResolvedOptions, type TrainOptions } from './options.js';
import { batchNormStats, trainableParams, type ParamInfo } from './params.js';
import { BEST_CHECKPOINT, LAST_CHECKPOINT, TrainingRun, type RunParts, type StatTensor } from './run.js';
import { GradientRunner } from './step.js';

/** What {@link train} returns. */
export interface TrainResult {
  /** The inference model (original graph) with the trained values: the best epoch's with `restoreBest`, else the last. */
  readonly model: Model;
  readonly history: readonly EpochStats[];
  /** The best epoch by the validation metric; undefined without a `valSet`. */
  readonly best: BestEpoch | undefined;
  /** Optimizer steps taken in the whole run (before a resume included). */
  readonly steps: number;
  readonly stoppedEarly: boolean;
  /** The trained parameters of `model`, by initializer name. */
  readonly params: readonly ParamInfo[];
}

/**
 * Fine-tunes a classifier: softmax cross-entropy on its logits, gradients from one generated forward + backward
 * graph (one onnxruntime session, created once; parameters and batches fed each step, zero-copy), updates by SGD,
 * Adam or AdamW in WebAssembly SIMD, seeded shuffled batches, per-epoch validation, best-epoch tracking, early
 * stopping, atomic checkpoints and exact resume, and a stop on the first non-finite loss or gradient.
 *
 * @throws SecateursError `TRAIN_NONFINITE` (naming the step and the first bad tensor), `TRAIN_ABORTED` (after
 *   `signal` fires; the checkpoint is written first), `TRAIN_OPTIONS`, `TRAIN_RESUME_MISMATCH`, autodiff errors
 *   for ops without gradient rules; RangeError for bad options (all listed at once).
 * @example
 * ```ts
 * const trainSet = take(await loadMnist({ split: 'train' }), 2000);
 * const r = await train(buildZooModel('lenet-300-100'), trainSet, { epochs: 1, optimizer: 'adam', lr: 1e-3 });
 * r.history[0]?.trainAcc;       // e.g. 0.82
 * await saveModel(r.model, 'lenet-ft.onnx');
 * ```
 */
export async function train(model: Model, trainSet: Dataset, options: TrainOptions): Promise<TrainResult> {
  if (options.signal?.aborted) throw new SecateursError('TRAIN_ABORTED', 'training aborted before it started.', { cause: options.signal.reason });
  const parts = await startParts(model, trainSet, options);
  const run = new TrainingRun(parts);
  try {
    if (options.resume !== undefined) await resume(run, options.resume);
    await run.runEpochs();
  } finally {
    parts.progress.finish();
    await parts.runner.release();
  }
  const values = parts.o.restoreBest && run.bestValues ? run.bestValues : run.values();
  return {
    model: exportTrained(model, values),
    history: run.book.history,
    best: run.book.best,
    steps: run.step,
    stoppedEarly: run.book.stoppedEarly,
    params: parts.params,
  };
}

async function startParts(model: Model, ds: Dataset, options: TrainOptions): Promise<RunParts> {
  const fixed = fixedBatch(model, options);
  const withBatch: TrainOptions = fixed === undefined ? options : { ...options, batchSize: fixed, dropLast: true };
  const o = resolveOptions(withBatch, (bs) => batchCount(ds, { batchSize: bs, dropLast: withBatch.dropLast ?? false }));
  const params = trainableParams(model, { ...(options.include ? { include: options.include } : {}), ...(options.exclude ? { exclude: options.exclude } : {}) });
  if (params.length === 0) throw new SecateursError('TRAIN_OPTIONS', `graph '${model.graph.name}' has no trainable float32 parameters${options.include || options.exclude ? ' matching include/exclude' : ''}.`);
  const masks = alignMasks(params, options);
  const optimizer = makeOptimizer(o, options, masks);
  const arrays = optimizer.bind(params.map((p, k) => initialValue(model, p.name, masks[k])));
  const runner = await GradientRunner.create(model, params, ds, {
    labelSmoothing: o.labelSmoothing, threads: o.threads,
    ...(options.inputName ? { inputName: options.inputName } : {}), ...(options.outputName ? { outputName: options.outputName } : {}),
  });
  runner.bindParams(arrays);
  const stats: StatTensor[] = batchNormStats(model).flatMap((b) => [b.mean, b.variance]).map((name) => {
    const t = model.graph.requireValue(name).constant!;
    return { name, dims: t.dims, data: t.toFloat32() };
  });
  const stepsPerEpoch = batchCount(ds, { batchSize: o.batchSize, dropLast: o.dropLast });
  const config = runConfig(o, options, ds, params, masks);
  return { model, ds, options, o, params, arrays, stats, optimizer, runner, progress: resolveProgress('train', options.progress), stepsPerEpoch, config, masks };
}

/** The model's fixed batch size (its data input's first dim), checked against `batchSize`. */
function fixedBatch(model: Model, options: TrainOptions): number | undefined {
  const inits = new Set(model.graph.initializers);
  const inputs = model.graph.inputs.filter((v) => !inits.has(v) && (options.inputName === undefined || v.name === options.inputName));
  const d = inputs.length === 1 ? inputs[0]!.shape?.[0] : undefined;
  if (typeof d !== 'number') return undefined;
  if (options.batchSize !== undefined && options.batchSize !== d) {
    throw new SecateursError('TRAIN_OPTIONS', `the model's input '${inputs[0]!.name}' has a fixed batch of ${d}; 'batchSize' ${options.batchSize} cannot feed it (omit it or pass ${d}).`);
  }
  return d;
}

function makeOptimizer(o: ResolvedOptions, options: TrainOptions, masks: readonly (Uint8Array | undefined)[]): Optimizer {
  return createOptimizer(o.optimizer, {
    ...(options.momentum !== undefined ? { momentum: options.momentum } : {}),
    ...(options.nesterov !== undefined ? { nesterov: options.nesterov } : {}),
    ...(options.weightDecay !== undefined ? { weightDecay: options.weightDecay } : {}),
    ...(options.betas ? { betas: options.betas } : {}),
    ...(options.eps !== undefined ? { eps: options.eps } : {}),
    ...(options.clipNorm !== undefined ? { clipNorm: options.clipNorm } : {}),
    ...(options.backend ? { backend: options.backend } : {}),
    masks,
  });
}

/** Masks by name → one entry per parameter; a name that is not a trainable parameter is an error. */
function alignMasks(params: readonly ParamInfo[], options: TrainOptions): (Uint8Array | undefined)[] {
  const byName = new Map(options.masks ? entriesOf(options.masks) : []);
  const known = new Set(params.map((p) => p.name));
  const unknown = [...byName.keys()].filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new SecateursError('TRAIN_OPTIONS', `masks given for ${unknown.map((n) => `'${n}'`).join(', ')}, which ${unknown.length > 1 ? 'are not trainable parameters' : 'is not a trainable parameter'}; trainable: ${params.map((p) => `'${p.name}'`).join(', ')}.`);
  }
  return params.map((p) => byName.get(p.name));
}

/** A parameter's starting value (a copy), with pruned entries zeroed. */
function initialValue(model: Model, name: string, mask: Uint8Array | undefined): Float32Array {
  const data = model.graph.requireValue(name).constant!.toFloat32();
  if (mask) for (let i = 0; i < data.length; i++) if (mask[i] === 0) data[i] = 0;
  return data;
}

function runConfig(o: ResolvedOptions, options: TrainOptions, ds: Dataset, params: readonly ParamInfo[], masks: readonly (Uint8Array | undefined)[]): Record<string, unknown> {
  return {
    optimizer: o.optimizer, batchSize: o.batchSize, seed: o.seed, dropLast: o.dropLast, epochs: o.epochs,
    lr: o.plan.lr, schedule: o.plan.schedule, warmupSteps: o.plan.warmupSteps ?? 0, labelSmoothing: o.labelSmoothing,
    momentum: options.momentum ?? 0, nesterov: options.nesterov ?? false, weightDecay: options.weightDecay ?? 0,
    betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, clipNorm: options.clipNorm ?? null,
    dataset: { name: ds.name, count: ds.count, sampleShape: ds.sampleShape },
    params: params.map((p) => p.name), masks: maskDigest(masks),
  };
}

/** FNV-1a over the masks (which parameters have one, and their bytes), to detect a resume with other masks. */
function maskDigest(masks: readonly (Uint8Array | undefined)[]): string {
  let h = 0x811c9dc5;
  masks.forEach((m, k) => {
    h = Math.imul(h ^ (m ? k + 1 : 0), 0x01000193);
    if (m) for (let i = 0; i < m.length; i++) h = Math.imul(h ^ m[i]!, 0x01000193);
  });
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The options that must match for a resumed run to continue the same run. */
const STRUCTURAL = ['optimizer', 'batchSize', 'seed', 'dropLast', 'dataset', 'params', 'masks'] as const;

async function resume(run: TrainingRun, path: string): Promise<void> {
  const file = (await isDirectory(path)) ? join(path, LAST_CHECKPOINT) : path;
  const c = await loadCheckpoint(file);
  checkCompatible(run.parts, c, file);
  const byName = new Map(c.tensors.filter((t) => t.role !== 'mask').map((t) => [t.name, t.data]));
  run.parts.params.forEach((p, k) => run.parts.arrays[k]!.set(byName.get(p.name)!));
  for (const s of run.parts.stats) { const d = byName.get(s.name); if (d) s.data.set(d); }
  run.parts.optimizer.loadState(c.optimizer);
  run.restore(c, file);
  if (run.book.best) run.bestValues = await loadBest(join(dirname(file), BEST_CHECKPOINT));
}

function checkCompatible(parts: RunParts, c: Checkpoint, file: string): void {
  const problems: string[] = [];
  for (const key of STRUCTURAL) {
    const was = JSON.stringify(c.config[key]);
    const now = JSON.stringify(parts.config[key]);
    if (was !== now) problems.push(`'${key}' was ${was}, now ${now}`);
  }
  const dims = new Map(c.tensors.filter((t) => t.role !== 'mask').map((t) => [t.name, t.dims.join('x')]));
  for (const p of parts.params) {
    const d = dims.get(p.name);
    if (d !== p.dims.join('x')) problems.push(`parameter '${p.name}' [${p.dims.join(', ')}] is ${d === undefined ? 'missing' : `[${d.replaceAll('x', ', ')}]`} in the checkpoint`);
  }
  if (c.optimizer.kind !== parts.optimizer.kind) problems.push(`optimizer state is '${c.optimizer.kind}'`);
  if (problems.length > 0) {
    throw new SecateursError('TRAIN_RESUME_MISMATCH', `cannot resume from ${file}: the run was started differently:\n  - ${problems.join('\n  - ')}`);
  }
}

async function loadBest(path: string): Promise<Map<string, Float32Array> | undefined> {
  try {
    const c = await loadCheckpoint(path);
    return new Map(c.tensors.filter((t) => t.role !== 'mask').map((t) => [t.name, t.data]));
  } catch (e) {
    if (e instanceof SecateursError && e.code === 'DATA_MISSING') return undefined;
    throw e;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
