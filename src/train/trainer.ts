import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { batchCount, checkShift } from '../data/batch.js';
import { assertInputShape } from '../data/shape.js';
import { sampleSize, type Dataset } from '../data/types.js';
import { SecateursError } from '../errors.js';
import type { Model } from '../ir/graph.js';
import { resolveProgress } from '../runtime/index.js';
import type { BestEpoch, EpochStats } from './book.js';
import { loadCheckpoint, type Checkpoint } from './checkpoint.js';
import {
  checkPairShapes, DEFAULT_ALPHA, distillConfig, distillProblems, labelledCount, loadTeacher, resolveDistill, Teacher, type ResolvedDistill,
} from './distill.js';
import { exportTrained } from './export.js';
import { createOptimizer } from './optim/index.js';
import type { Optimizer } from './optim/types.js';
import { entriesOf, resolveOptions, type ResolvedOptions, type TrainOptions } from './options.js';
import { batchNormStats, trainableParams, type ParamInfo } from './params.js';
import { Reclaimer } from './reclaim.js';
import { BEST_CHECKPOINT, LAST_CHECKPOINT, TrainingRun, type RunParts, type StatTensor } from './run.js';
import { dataInput, GradientRunner } from './step.js';
import { Validator } from './validate.js';

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
 * Fine-tunes a classifier: softmax cross-entropy on its logits (or knowledge distillation from a teacher model, see
 * {@link DistillOptions}), gradients from one generated forward + backward graph (one onnxruntime session, created
 * once; parameters and batches fed each step, zero-copy), updates by SGD, Adam or AdamW in WebAssembly SIMD, seeded
 * shuffled batches, per-epoch validation, best-epoch tracking, early stopping, atomic checkpoints and exact resume,
 * and a stop on the first non-finite loss or gradient.
 *
 * Memory: besides the model, a run holds the optimizer's arena (weights, gradients and optimizer state: 2 to 4
 * parameter-sized copies, plus masks when given), the gradient session's working memory (about one batch of
 * activations and their gradients), and the last steps' output copies, which it frees with a minor garbage
 * collection once they exceed a small budget (see docs/BENCHMARKS.md, "Training peak memory").
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
    await parts.teacher?.release();
    await parts.validator?.release();
  }
  const values = (parts.o.restoreBest ? await bestValues(run) : undefined) ?? run.values();
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
  const teacherModel = options.distill ? await loadTeacher(options.distill) : undefined;
  const more = [...(options.distill && teacherModel ? distillProblems(options.distill, model, teacherModel) : []), ...labelProblems(ds, options),
    // The range itself is checked with the other options; here, whether the samples are images it fits.
    ...(Number.isSafeInteger(options.shift) && options.shift! > 0 ? [checkShift(ds.sampleShape, options.shift!)].filter((p): p is string => p !== undefined) : [])];
  const o = resolveOptions(withBatch, (bs) => batchCount(ds, { batchSize: bs, dropLast: withBatch.dropLast ?? false }), more);
  const distill = options.distill && teacherModel ? resolveDistill(options.distill, teacherModel) : undefined;
  const params = trainableParams(model, { ...(options.include ? { include: options.include } : {}), ...(options.exclude ? { exclude: options.exclude } : {}) });
  if (params.length === 0) throw new SecateursError('TRAIN_OPTIONS', `graph '${model.graph.name}' has no trainable float32 parameters${options.include || options.exclude ? ' matching include/exclude' : ''}.`);
  const masks = alignMasks(params, options);
  const optimizer = makeOptimizer(o, options, masks);
  // The optimizer copies the initializers into its arena (pruned entries zeroed there): no other copy is made.
  const arrays = optimizer.bind(params.map((p) => float32View(model, p.name)));
  const stats: StatTensor[] = batchNormStats(model).flatMap((b) => [b.mean, b.variance]).map((name) => {
    const t = model.graph.requireValue(name).constant!;
    return { name, dims: t.dims, data: t.toFloat32() };
  });
  const threads = o.threads;
  const io = { ...(options.inputName ? { inputName: options.inputName } : {}), ...(options.outputName ? { outputName: options.outputName } : {}) };
  const tensors = new Map([...params.map((p, k) => [p.name, { dims: p.dims, data: arrays[k]! }] as const), ...stats.map((t) => [t.name, t] as const)]);
  const sessions = await startSessions([
    () => (distill && teacherModel ? startTeacher(model, teacherModel, ds, distill, o, io) : undefined),
    () => GradientRunner.create(model, params, ds, { labelSmoothing: o.labelSmoothing, threads, distill, ...io }),
    () => (options.valSet ? Validator.create(model, tensors, options.valSet, { threads, ...io }) : undefined),
  ] as const);
  const [teacher, runner, validator] = sessions;
  runner.bindParams(arrays);
  // Gradients are computed into the optimizer's memory: no buffer of onnxruntime's own, no copy before the update.
  if (optimizer.gradientViews) runner.bindGrads(optimizer.gradientViews());
  const stepsPerEpoch = batchCount(ds, { batchSize: o.batchSize, dropLast: o.dropLast });
  const config = runConfig(o, options, ds, params, masks, distill && teacherModel ? distillConfig(options.distill!, distill, teacherModel) : undefined);
  const reclaimer = new Reclaimer(RECLAIM_BUDGET);
  return {
    model, ds, options, o, params, arrays, stats, optimizer, runner, progress: resolveProgress('train', options.progress), stepsPerEpoch, config, masks,
    teacher, validator, reclaimer,
  };
}

/** Something holding an onnxruntime session. */
interface Releasable { release(): Promise<void> }

/**
 * Starts the sessions one after another; when one fails, those already started are released before the error
 * propagates (a session holds native memory that no garbage collection frees).
 */
async function startSessions<T extends readonly (() => Promise<Releasable> | undefined)[]>(steps: T): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const done: (Releasable | undefined)[] = [];
  try {
    for (const step of steps) done.push(await step());
  } catch (e) {
    for (const r of done) await r?.release();
    throw e;
  }
  return done as { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };
}

/**
 * Garbage the run may leave before a minor collection frees it: 1 MiB, so a step whose outputs (gradients, logits,
 * teacher outputs) reach 1 MiB is followed by a collection. Measured on LeNet-300-100 and LeNet-5 at batch 64, this
 * costs no throughput: the process spent 25–30% less CPU time per sample than when V8 collected on its own, as its
 * own collections for external memory are full mark-compacts (see docs/BENCHMARKS.md, "Training peak memory").
 */
const RECLAIM_BUDGET = 2 ** 20;

/** A float32 initializer's values as stored (a view, not a copy, when aligned). */
function float32View(model: Model, name: string): Float32Array {
  const t = model.graph.requireValue(name).constant!;
  return t.dtype === 'float32' ? (t.view() as Float32Array) : t.toFloat32();
}

/** Labels the loss needs: a cross-entropy term needs every training sample labelled (−1 marks none). */
function labelProblems(ds: Dataset, options: TrainOptions): string[] {
  const missing = ds.count - labelledCount(ds.y, ds.count);
  if (missing === 0) return [];
  const alpha = options.distill ? options.distill.alpha ?? DEFAULT_ALPHA : 0;
  if (options.distill && alpha === 1) return [];
  const why = options.distill ? `the loss has a cross-entropy term (weight 1 − alpha = ${1 - alpha})` : 'the cross-entropy loss needs labels';
  return [`${missing} of the ${ds.count} training samples are unlabelled (label -1) but ${why}; distil with 'distill.alpha' 1 to train without labels`];
}

/** The teacher session, checked against the student on the first samples: batch sizes and every pair's shapes. */
async function startTeacher(model: Model, teacherModel: Model, ds: Dataset, distill: ResolvedDistill, o: ResolvedOptions, io: { inputName?: string; outputName?: string }): Promise<Teacher> {
  const teacher = await Teacher.create(teacherModel, ds, distill, o.threads);
  try {
    if (teacher.fixedBatch !== undefined && teacher.fixedBatch !== o.batchSize) {
      throw new SecateursError('TRAIN_OPTIONS', `the teacher has a fixed batch of ${teacher.fixedBatch}, but the student trains with batches of ${o.batchSize}.`);
    }
    const input = dataInput(model, io.inputName);
    const fit = assertInputShape(ds, model.graph.requireValue(input).shape ?? [], input);
    const n = fit.fixedBatch ?? teacher.fixedBatch ?? Math.min(2, ds.count);
    const x = new Float32Array(n * sampleSize(ds));
    x.set(ds.x.subarray(0, Math.min(n, ds.count) * sampleSize(ds)));
    const logits = io.outputName ?? model.graph.outputs[0]!.name;
    await checkPairShapes({ model, input, sampleDims: fit.sampleShape, logits }, teacher, distill, x, n);
    return teacher;
  } catch (e) {
    await teacher.release();
    throw e;
  }
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

function runConfig(
  o: ResolvedOptions, options: TrainOptions, ds: Dataset, params: readonly ParamInfo[], masks: readonly (Uint8Array | undefined)[],
  distill: Record<string, unknown> | undefined,
): Record<string, unknown> {
  return {
    optimizer: o.optimizer, batchSize: o.batchSize, seed: o.seed, dropLast: o.dropLast, epochs: o.epochs,
    lr: o.plan.lr, schedule: o.plan.schedule, warmupSteps: o.plan.warmupSteps ?? 0, labelSmoothing: o.labelSmoothing,
    momentum: options.momentum ?? 0, nesterov: options.nesterov ?? false, weightDecay: options.weightDecay ?? 0,
    betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, clipNorm: options.clipNorm ?? null,
    dataset: { name: ds.name, count: ds.count, sampleShape: ds.sampleShape },
    params: params.map((p) => p.name), masks: maskDigest(masks),
    // Recorded only when used, so checkpoints of plain runs keep their earlier form.
    ...(distill ? { distill } : {}),
    ...(o.shift > 0 ? { shift: o.shift } : {}),
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
const STRUCTURAL = ['optimizer', 'batchSize', 'seed', 'dropLast', 'dataset', 'params', 'masks', 'distill', 'shift'] as const;

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

/** The best epoch's values: held in memory, or read back from `best.npz`; undefined when no epoch was validated. */
async function bestValues(run: TrainingRun): Promise<Map<string, Float32Array> | undefined> {
  if (run.bestValues) return run.bestValues;
  if (!run.bestFile) return undefined;
  const c = await loadCheckpoint(run.bestFile);
  return new Map(c.tensors.filter((t) => t.role !== 'mask').map((t) => [t.name, t.data]));
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
