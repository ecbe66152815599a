import { SecateursError } from '../errors.js';
import type { EarlyStopping } from './options.js';

/** One epoch of {@link TrainResult.history}. */
export interface EpochStats {
  /** 0-based. */
  readonly epoch: number;
  /** Mean loss and top-1 accuracy over the epoch's training batches (as the weights were at each step). */
  readonly trainLoss: number;
  readonly trainAcc: number;
  /** On `valSet` with the weights at the end of the epoch; absent without a `valSet`. */
  readonly valLoss?: number;
  readonly valAcc?: number;
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
}

/** Running sums of the epoch in progress. */
export interface EpochSums {
  loss: number;
  correct: number;
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
  return { loss: 0, correct: 0, samples: 0, seconds: 0, lr: 0 };
}

/** The epoch's statistics from its sums (and validation result). */
export function epochStats(epoch: number, s: EpochSums, val: { loss: number; top1: number } | undefined): EpochStats {
  const n = Math.max(1, s.samples);
  return {
    epoch,
    trainLoss: s.loss / n,
    trainAcc: s.correct / n,
    ...(val ? { valLoss: val.loss, valAcc: val.top1 } : {}),
    seconds: s.seconds,
    samplesPerSec: s.seconds > 0 ? s.samples / s.seconds : 0,
    lr: s.lr,
  };
}

/**
 * Records a validated epoch: returns true when it is the new best (by `early.metric`, default valAcc, beyond
 * `minDelta`), and counts epochs without improvement.
 */
export function recordBest(book: RunBook, stats: EpochStats, early: Required<EarlyStopping> | undefined): boolean {
  if (stats.valAcc === undefined || stats.valLoss === undefined) return false;
  const metric = early?.metric ?? 'valAcc';
  const delta = early?.minDelta ?? 0;
  const b = book.best;
  const better = !b || (metric === 'valAcc' ? stats.valAcc > b.valAcc + delta : stats.valLoss < b.valLoss - delta);
  if (better) {
    book.best = { epoch: stats.epoch, valAcc: stats.valAcc, valLoss: stats.valLoss };
    book.badEpochs = 0;
  } else {
    book.badEpochs++;
  }
  if (early && book.badEpochs >= early.patience) book.stoppedEarly = true;
  return better;
}

/** A book restored from a checkpoint's `run` JSON; a SecateursError names a field that is not what it should be. */
export function bookFromJson(run: Readonly<Record<string, unknown>>, file: string): RunBook {
  const bad = (field: string): never => { throw new SecateursError('TRAIN_CHECKPOINT', `${file}: 'run.${field}' is missing or malformed.`); };
  const { history, best, badEpochs, stoppedEarly, sums } = run;
  if (!Array.isArray(history)) bad('history');
  if (typeof badEpochs !== 'number') bad('badEpochs');
  if (typeof sums !== 'object' || sums === null) bad('sums');
  return {
    history: [...(history as EpochStats[])],
    best: (best ?? undefined) as BestEpoch | undefined,
    badEpochs: badEpochs as number,
    stoppedEarly: stoppedEarly === true,
    sums: { ...zeroSums(), ...(sums as Partial<EpochSums>) },
  };
}
