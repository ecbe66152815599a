/** Gradual magnitude pruning during one training run, on the AGP schedule (Zhu & Gupta 2017). */
import type { Dataset } from '../../data/types.js';
import type { Model } from '../../ir/graph.js';
import { train } from '../../train/index.js';
import type { PrunePlan } from '../masks/plan.js';
import type { LayerSelection } from '../selectors.js';
import { agpSparsity, checkAgp, type AgpSchedule } from './agp.js';
import { denseMasks, planOf, pruneWeightsGlobally, pruneWeightsToSparsity, remainingFraction, scheduleTargets, type MaskSet } from './magnitude.js';
import type { FinetuneOptions } from './retrain.js';

/**
 * Trainer options AGP passes on: it sets the epochs, batches, seed and masks itself, and keeps the last weights (a
 * "best" epoch may predate the final sparsity). The LR schedule (e.g. `cosine`) spans the whole run.
 */
export type AgpTrainOptions = Omit<FinetuneOptions,
  'batchSize' | 'seed' | 'dropLast' | 'valSet' | 'earlyStopping' | 'restoreBest' | 'maskUpdate'>;

/** Options of {@link agpPrune}. */
export interface AgpPruneOptions extends LayerSelection {
  /** Layer sparsity at the end, in [initial, 1). */
  readonly final: number;
  /** Default 0. */
  readonly initial?: number;
  /** Steps Δt between mask updates. */
  readonly frequency: number;
  /** Training epochs of the whole run. */
  readonly epochs: number;
  /** First pruning step t₀; default 0. */
  readonly startStep?: number;
  /** Pruning intervals n; default the most that end before the last step: ⌊(T − 1 − t₀)/Δt⌋ for T steps in all. */
  readonly steps?: number;
  /** Default 64; every batch is full (each epoch drops its tail). */
  readonly batchSize?: number;
  /** Seed of the batch order; default 0. */
  readonly seed?: number;
  /**
   * `layer` (default): every selected layer pruned to the schedule's sparsity; `global`: the schedule's sparsity over
   * all selected weights together, smallest |w| first wherever they are (layers end at different sparsities).
   */
  readonly scope?: 'layer' | 'global';
  readonly train?: AgpTrainOptions;
}

/** One mask update of an AGP run. */
export interface AgpPoint {
  /** Global step from which the masks hold. */
  readonly step: number;
  /** The schedule's sparsity there. */
  readonly target: number;
  /** Fraction of the selected weights pruned (per-layer counts are rounded). */
  readonly sparsity: number;
}

/** What {@link agpPrune} returns. */
export interface AgpResult {
  readonly model: Model;
  readonly plan: PrunePlan;
  readonly trajectory: readonly AgpPoint[];
  /** Optimizer steps taken. */
  readonly steps: number;
}

/** Mask update steps: 0, t₀, t₀+Δt, …, t₀+n·Δt (those before `total`). */
function updateSteps(s: AgpSchedule, total: number): number[] {
  const starts = s.startStep > 0 ? [0] : [];
  for (let k = 0; k <= s.steps; k++) starts.push(s.startStep + k * s.frequency);
  return starts.filter((t) => t < total);
}

/**
 * Trains once while pruning gradually: at the AGP update steps t₀, t₀+Δt, …, t₀+n·Δt every selected layer is pruned
 * (smallest surviving |w| of the current weights) to the schedule's sparsity, inside one uninterrupted training run:
 * the optimizer keeps its moments and the LR schedule runs across the updates (the trainer's `maskUpdate`), and
 * newly pruned weights and their optimizer state become exactly 0.
 *
 * @throws RangeError for a bad schedule, `epochs`, or a run too short for one pruning interval; SecateursError
 *   `PRUNE_BAD_INPUT` for selectors that match nothing; what `train` throws.
 * @example
 * ```ts
 * const r = await agpPrune(model, trainSet, { final: 0.9, frequency: 100, epochs: 5, train: { lr: 0.05 } });
 * r.trajectory.map((p) => p.target);   // 0, 0.26…, …, 0.9
 * ```
 */
export async function agpPrune(model: Model, trainSet: Dataset, options: AgpPruneOptions): Promise<AgpResult> {
  const bs = options.batchSize ?? 64;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(options.epochs) || options.epochs < 1) throw new RangeError(`'epochs' must be an integer >= 1, got ${options.epochs}.`);
  if (!Number.isSafeInteger(bs) || bs < 1 || bs > trainSet.count) throw new RangeError(`'batchSize' must be an integer in [1, ${trainSet.count}], got ${bs}.`);
  const total = options.epochs * Math.floor(trainSet.count / bs);
  const startStep = options.startStep ?? 0;
  const steps = options.steps ?? Math.floor((total - 1 - startStep) / options.frequency);
  const schedule: AgpSchedule = { initial: options.initial ?? 0, final: options.final, startStep, frequency: options.frequency, steps };
  checkAgp(schedule);
  if (startStep + steps * options.frequency >= total) {
    throw new RangeError(`agpPrune: the last mask update (step ${startStep + steps * options.frequency}) must come before the run's ${total} steps end; lower 'steps', 'frequency' or 'startStep', or train longer.`);
  }
  let masks = denseMasks(scheduleTargets(model, options, 'agpPrune'));
  const trajectory: AgpPoint[] = [];
  const update = (t: number, weights: ReadonlyMap<string, Float32Array>): MaskSet => {
    const target = agpSparsity(t, schedule);
    masks = (options.scope === 'global' ? pruneWeightsGlobally : pruneWeightsToSparsity)((name) => weights.get(name)!, masks, target);
    trajectory.push({ step: t, target, sparsity: 1 - remainingFraction(masks) });
    return masks;
  };
  const run = await train(model, trainSet, {
    ...options.train, epochs: options.epochs, batchSize: bs, dropLast: true, seed, restoreBest: false,
    maskUpdate: { at: updateSteps(schedule, total), update },
  });
  return { model: run.model, plan: planOf(run.model, masks, options.final, options.scope ?? 'layer'), trajectory, steps: run.steps };
}
