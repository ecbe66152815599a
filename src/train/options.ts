import type { Dataset } from '../data/types.js';
import type { Progress } from '../runtime/index.js';
import type { ValMetric } from './book.js';
import { labelledCount, type DistillOptions } from './distill.js';
import type { KernelBackend } from './optim/arena.js';
import type { OptimizerKind } from './optim/types.js';
import { checkPlan, type LrPlan, type Schedule } from './schedule.js';

/** Stop when the validation metric has not improved for `patience` epochs. */
export interface EarlyStopping {
  readonly patience: number;
  /**
   * Default `valAcc` (higher is better), or `valAgreement` when distilling on an unlabelled `valSet`; `valLoss` (lower
   * is better); with distillation also `valAgreement` (top-1 agreement with the teacher, higher is better) and `valKl`
   * (KL from the teacher, lower is better). Also picks the best epoch.
   */
  readonly metric?: ValMetric;
  /** Smallest change that counts as an improvement; default 0. */
  readonly minDelta?: number;
}

/** What {@link TrainOptions.onStep} receives after every optimizer step. */
export interface StepReport {
  /** Steps taken so far (this one included). */
  readonly step: number;
  /** 0-based epoch and batch within it. */
  readonly epoch: number;
  readonly batch: number;
  readonly loss: number;
  readonly lr: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** A fresh 32-bit number from the run's seeded generator (for callers' own randomness; saved in checkpoints). */
  readonly stepSeed: number;
}

/**
 * Mask changes during a run (gradual pruning): before the optimizer step that follows `at[i]` steps taken, `update`
 * returns the masks from then on. The optimizer keeps its state (moments, momentum) and the LR schedule runs on, so a
 * pruning schedule is one uninterrupted run; newly pruned weights and their optimizer buffers become exactly 0. The
 * current masks are saved in checkpoints, so a resumed run continues with them.
 */
export interface MaskUpdate {
  /** Steps taken before each update, ascending (0: before the first step). */
  readonly at: readonly number[];
  /**
   * The new masks by parameter name (a parameter left out keeps its mask). `weights` are the current values (views:
   * read, don't write), `masks` the current masks.
   */
  readonly update: (step: number, weights: ReadonlyMap<string, Float32Array>, masks: ReadonlyMap<string, Uint8Array | undefined>) => ParamValuesOf<Uint8Array>;
}

/**
 * Options of {@link train}. Only `epochs` is required. Defaults follow PyTorch's where it has one (momentum 0,
 * betas 0.9/0.999, eps 1e-8, no weight decay, no clipping, no label smoothing).
 */
export interface TrainOptions {
  readonly epochs: number;
  /** Default 64; a model with a fixed batch dim uses that size (and drops the last, smaller batch). */
  readonly batchSize?: number;
  /** Default `sgd`. */
  readonly optimizer?: OptimizerKind;
  /** Peak learning rate; default 0.01 for SGD, 0.001 for Adam and AdamW. */
  readonly lr?: number;
  readonly momentum?: number;
  readonly nesterov?: boolean;
  readonly weightDecay?: number;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
  /** After warm-up: `constant` (default), `cosine` (to 0 over the run), or a {@link Schedule} (steps counted). */
  readonly schedule?: 'constant' | 'cosine' | Schedule;
  /** Linear warm-up steps; default 0. */
  readonly warmupSteps?: number;
  /** Clip gradients to this global L2 norm. */
  readonly clipNorm?: number;
  /** Label smoothing of the cross-entropy, in [0, 1); default 0. */
  readonly labelSmoothing?: number;
  /**
   * Data augmentation: each training image translated by a random (dx, dy) of up to this many pixels, border
   * repeated (see `batches`' `shift`); needs [C, H, W] or [H, W] samples. Default 0 (off). A teacher sees the same
   * shifted images as the student.
   */
  readonly shift?: number;
  /** Evaluated after every epoch (top-1 and loss); picks the best epoch. */
  readonly valSet?: Dataset;
  readonly earlyStopping?: EarlyStopping;
  /** Return the best epoch's weights instead of the last; default true when `valSet` is given. */
  readonly restoreBest?: boolean;
  /** Seed of the batch order (shuffled per epoch from seed and epoch) and of `stepSeed`; default 0. */
  readonly seed?: number;
  /** Which initializers train (see {@link trainableParams}); tested against initializer names. */
  readonly include?: RegExp;
  readonly exclude?: RegExp;
  /** Pruning masks by parameter name (1 keeps, 0 prunes): pruned weights are zeroed first and stay exactly 0. */
  readonly masks?: ParamValuesOf<Uint8Array>;
  /** Masks that change during the run (gradual pruning); see {@link MaskUpdate}. */
  readonly maskUpdate?: MaskUpdate;
  /** Leave out the last batch of an epoch when it is smaller; default false. */
  readonly dropLast?: boolean;
  /** Folder for `checkpoint.npz` (at every epoch end, every `checkpointEvery` steps, on abort) and `best.npz`. */
  readonly checkpointDir?: string;
  readonly checkpointEvery?: number;
  /** Continue from a checkpoint file (or a folder holding `checkpoint.npz`). Pass the same options for an identical run. */
  readonly resume?: string;
  /** `true` for a progress bar/lines on stderr, or a Progress to drive (samples over the whole run). */
  readonly progress?: boolean | Progress;
  readonly onStep?: (report: StepReport) => void;
  /** Aborting stops after the current step, writes a checkpoint (with `checkpointDir`) and rejects with `TRAIN_ABORTED`. */
  readonly signal?: AbortSignal;
  /** onnxruntime intra-op threads for training and validation; default 1. */
  readonly threads?: number;
  /** Model input the samples feed (default: the only data input) and output read as logits (default: the first). */
  readonly inputName?: string;
  readonly outputName?: string;
  /** Optimizer kernels; default `auto` (WebAssembly SIMD when available). */
  readonly backend?: KernelBackend;
  /**
   * Knowledge distillation from a teacher model (see {@link DistillOptions}): the loss becomes α·T²·KL(teacher ‖
   * student) + (1 − α)·CE (+ feature MSE terms). With α = 1 no labels are needed: unlabelled samples carry label −1
   * (`unlabeled(ds)` marks a whole dataset so).
   */
  readonly distill?: DistillOptions;
}

/** Values by parameter name, as a Map or a plain object. */
export type ParamValuesOf<T> = ReadonlyMap<string, T> | Readonly<Record<string, T>>;

/** Options with every default filled in and checked. */
export interface ResolvedOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerKind;
  readonly plan: LrPlan;
  readonly seed: number;
  readonly labelSmoothing: number;
  readonly shift: number;
  readonly threads: number;
  readonly dropLast: boolean;
  readonly restoreBest: boolean;
  readonly checkpointEvery: number | undefined;
  readonly early: Required<EarlyStopping> | undefined;
  /** The metric that picks the best epoch (and stops early). */
  readonly valMetric: ValMetric;
}

/**
 * Checks the options and fills in defaults. `stepsPerEpoch` sizes the cosine schedule; every problem, `more` (found
 * by the caller, e.g. in the distillation tensors) included, is reported in one RangeError.
 */
export function resolveOptions(o: TrainOptions, stepsPerEpoch: (batchSize: number) => number, more: readonly string[] = []): ResolvedOptions {
  const p: string[] = [...more];
  const int = (name: string, v: number | undefined, min: number): void => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) p.push(`'${name}' must be an integer >= ${min}, got ${v}`);
  };
  int('epochs', o.epochs, 1);
  int('batchSize', o.batchSize, 1);
  int('checkpointEvery', o.checkpointEvery, 1);
  int('threads', o.threads, 0);
  int('shift', o.shift, 0);
  if (o.earlyStopping) int('earlyStopping.patience', o.earlyStopping.patience, 1);
  if (o.seed !== undefined && !Number.isFinite(o.seed)) p.push(`'seed' must be a finite number, got ${o.seed}`);
  const smoothing = o.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) p.push(`'labelSmoothing' must be in [0, 1), got ${smoothing}`);
  if (o.earlyStopping && !o.valSet) p.push(`'earlyStopping' needs a 'valSet'`);
  const at = o.maskUpdate?.at ?? [];
  if (at.some((t, i) => !Number.isSafeInteger(t) || t < 0 || (i > 0 && t <= at[i - 1]!))) {
    p.push(`'maskUpdate.at' must be ascending integers >= 0, got [${at.slice(0, 8).join(', ')}${at.length > 8 ? ', …' : ''}]`);
  }
  const valMetric = metricProblems(o, p);
  if (p.length > 0) throw new RangeError(`train: ${p.join('; ')}.`);
  const optimizer = o.optimizer ?? 'sgd';
  const batchSize = o.batchSize ?? 64;
  const lr = o.lr ?? (optimizer === 'sgd' ? 0.01 : 0.001);
  const schedule: Schedule = o.schedule === undefined || o.schedule === 'constant' ? { kind: 'constant' }
    : o.schedule === 'cosine' ? { kind: 'cosine', totalSteps: Math.max(1, o.epochs * stepsPerEpoch(batchSize)), minLr: 0 } : o.schedule;
  const early = o.earlyStopping && { patience: o.earlyStopping.patience, metric: valMetric, minDelta: o.earlyStopping.minDelta ?? 0 };
  return {
    epochs: o.epochs, batchSize, optimizer, plan: checkPlan({ lr, schedule, warmupSteps: o.warmupSteps ?? 0 }),
    seed: o.seed ?? 0, labelSmoothing: smoothing, shift: o.shift ?? 0, threads: o.threads ?? 1, dropLast: o.dropLast ?? false,
    restoreBest: o.restoreBest ?? o.valSet !== undefined, checkpointEvery: o.checkpointEvery, early, valMetric,
  };
}

/**
 * The validation metric, checked against the data: accuracy and loss need a labelled `valSet`, agreement and KL a
 * teacher. An unlabelled `valSet` (every label −1) defaults to agreement when distilling.
 */
function metricProblems(o: TrainOptions, p: string[]): ValMetric {
  const asked = o.earlyStopping?.metric;
  const unlabelledVal = o.valSet !== undefined && labelledCount(o.valSet.y) === 0;
  const metric = asked ?? (unlabelledVal && o.distill ? 'valAgreement' : 'valAcc');
  if ((metric === 'valAgreement' || metric === 'valKl') && !o.distill) p.push(`'earlyStopping.metric' '${metric}' compares with a teacher: it needs 'distill'`);
  if (unlabelledVal && !o.distill) p.push(`'valSet' has no labels (every label is -1): validation needs labels, or a teacher ('distill') to compare with`);
  if (unlabelledVal && o.distill && (metric === 'valAcc' || metric === 'valLoss')) p.push(`'earlyStopping.metric' '${metric}' needs labels, but 'valSet' has none; use 'valAgreement' or 'valKl'`);
  return metric;
}

/** The entries of a by-name map or object. */
export function entriesOf<T>(v: ParamValuesOf<T>): [string, T][] {
  return v instanceof Map ? [...v.entries()] : Object.entries(v as Readonly<Record<string, T>>);
}
