import { SecateursError } from '../errors.js';
import type { EarlyStopping } from './options.js';

/** One epoch of {@link TrainResult.history}. */
export interface EpochStats {
  /** 0-based. */
  readonly epoch: number;
  /** Mean loss over the epoch's training batches (as the weights were at each step). */
  readonly trainLoss: number;
  /** Top-1 accuracy over the epoch's labelled training samples; NaN when none had a label (pure distillation). */
  readonly trainAcc: number;
  /** Distillation: fraction of training samples whose top-1 equals the teacher's. */
  readonly trainAgreement?: number;
  /**
   * On `valSet` with the weights at the end of the epoch, over its labelled samples (NaN when it has none); absent
   * without a `valSet`.
   */
  readonly valLoss?: number;
  readonly valAcc?: number;
  /** Distillation, on `valSet`: top-1 agreement with the teacher and mean KL(teacher ‖ student) at temperature 1. */
  readonly valAgreement?: number;
  readonly valKl?: number;
  /** Training time of the epoch (validation excluded) and training throughput. */
  readonly seconds: number;
  readonly samplesPerSec: number;
  /** Learning rate of the epoch's last step. */
  readonly lr: number;
}

/** The best epoch by the early-stopping metric (valAcc unless told otherwise). */
export interface BestEpoch {
  readonly epoch: number;
  readonly valAcc: number;
  readonly valLoss: number;
  readonly valAgreement?: number;
  readonly valKl?: number;
}

/** Validation metrics: higher is better for accuracy and agreement, lower for loss and KL. */
export type ValMetric = 'valAcc' | 'valLoss' | 'valAgreement' | 'valKl';

/** What {@link epochStats} takes from a validation pass. */
export interface ValStats {
  readonly loss: number;
  readonly top1: number;
  readonly agreement?: number;
  readonly kl?: number;
}

/** Running sums of the epoch in progress. */
export interface EpochSums {
  loss: number;
  correct: number;
  /** Samples with a label (accuracy's denominator). */
  labelled: number;
  /** Samples agreeing with the teacher (distillation). */
  agree: number;
  samples: number;
  seconds: number;
  lr: number;
}

/** The trainer's bookkeeping, all JSON (stored in checkpoints as `run`). */
export interface RunBook {
  readonly history: EpochStats[];
  best: BestEpoch | undefined;
  /** Epochs since the best one (early stopping). */
  badEpochs: number;
  stoppedEarly: boolean;
  sums: EpochSums;
}

/** A fresh book. */
export function newBook(): RunBook {
  return { history: [], best: undefined, badEpochs: 0, stoppedEarly: false, sums: zeroSums() };
}

/** Sums of an epoch not started. */
export function zeroSums(): EpochSums {
  return { loss: 0, correct: 0, labelled: 0, agree: 0, samples: 0, seconds: 0, lr: 0 };
}

/** The epoch's statistics from its sums (and validation result). */
export function epochStats(epoch: number, s: EpochSums, val: ValStats | undefined, distilling = false): EpochStats {
  const n = Math.max(1, s.samples);
  return {
    epoch,
    trainLoss: s.loss / n,
    trainAcc: s.labelled > 0 ? s.correct / s.labelled : NaN,
    ...(distilling ? { trainAgreement: s.agree / n } : {}),
    ...(val ? { valLoss: val.loss, valAcc: val.top1 } : {}),
    ...(val?.agreement !== undefined ? { valAgreement: val.agreement, valKl: val.kl ?? NaN } : {}),
    seconds: s.seconds,
    samplesPerSec: s.seconds > 0 ? s.samples / s.seconds : 0,
    lr: s.lr,
  };
}

/**
 * Records a validated epoch: returns true when it is the new best (by `early.metric`, default valAcc, beyond
 * `minDelta`), and counts epochs without improvement.
 */
export function recordBest(book: RunBook, stats: EpochStats, metric: ValMetric, early: Required<EarlyStopping> | undefined): boolean {
  if (stats.valAcc === undefined || stats.valLoss === undefined) return false;
  const delta = early?.minDelta ?? 0;
  const b = book.best;
  const better = !b || improves(metric, stats, b, delta);
  if (better) {
    book.best = {
      epoch: stats.epoch, valAcc: stats.valAcc, valLoss: stats.valLoss,
      ...(stats.valAgreement !== undefined ? { valAgreement: stats.valAgreement, valKl: stats.valKl ?? NaN } : {}),
    };
    book.badEpochs = 0;
  } else {
    book.badEpochs++;
  }
  if (early && book.badEpochs >= early.patience) book.stoppedEarly = true;
  return better;
}

/** Whether `s` beats the best epoch `b` on `metric` by more than `delta` (a NaN never does). */
function improves(metric: ValMetric, s: EpochStats, b: BestEpoch, delta: number): boolean {
  switch (metric) {
    case 'valAcc': return s.valAcc! > b.valAcc + delta;
    case 'valLoss': return s.valLoss! < b.valLoss - delta;
    case 'valAgreement': return s.valAgreement! > (b.valAgreement ?? -Infinity) + delta;
    case 'valKl': return s.valKl! < (b.valKl ?? Infinity) - delta;
    default: {
      const never: never = metric;
      throw new RangeError(`unknown validation metric '${String(never)}'.`);
    }
  }
}

/** JSON turns NaN into null: the numbers of a stored epoch or best epoch, with null read back as NaN. */
function numbersBack<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? NaN : v])) as T;
}

/** A book restored from a checkpoint's `run` JSON; a SecateursError names a field that is not what it should be. */
export function bookFromJson(run: Readonly<Record<string, unknown>>, file: string): RunBook {
  const bad = (field: string): never => { throw new SecateursError('TRAIN_CHECKPOINT', `${file}: 'run.${field}' is missing or malformed.`); };
  const { history, best, badEpochs, stoppedEarly, sums } = run;
  if (!Array.isArray(history)) bad('history');
  if (typeof badEpochs !== 'number') bad('badEpochs');
  if (typeof sums !== 'object' || sums === null) bad('sums');
  const stored = sums as Partial<EpochSums>;
  return {
    history: (history as EpochStats[]).map(numbersBack),
    best: best ? numbersBack(best as BestEpoch) : undefined,
    badEpochs: badEpochs as number,
    stoppedEarly: stoppedEarly === true,
    // Checkpoints from before unlabelled data counted every sample as labelled.
    sums: { ...zeroSums(), labelled: stored.samples ?? 0, ...stored },
  };
}
