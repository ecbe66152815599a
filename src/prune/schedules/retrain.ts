/** Prune, then fine-tune with the masks held: once (one-shot) or over several rounds (Han et al. 2015). */
import type { Dataset } from '../../data/types.js';
import type { Model } from '../../ir/graph.js';
import { train, type TrainOptions, type TrainResult } from '../../train/index.js';
import { applyMasks } from '../masks/apply.js';
import { decodeMask, type PrunePlan } from '../masks/plan.js';
import { planPruning, type PlanPruningOptions } from '../plan-pruning.js';
import type { LayerSelection } from '../selectors.js';
import { denseMasks, planOf, pruneToSparsity, scheduleTargets, type MaskSet } from './magnitude.js';

/** Trainer options a schedule passes on (it sets `epochs` and `masks` itself). */
export type FinetuneOptions = Omit<TrainOptions, 'epochs' | 'masks' | 'resume'>;

/** Options of {@link oneShot}. */
export interface OneShotOptions {
  /** How to prune (any criterion, scope, granularity); see `planPruning`. */
  readonly prune: PlanPruningOptions;
  /** Fine-tuning epochs with the masks held; 0 only applies the masks. */
  readonly finetuneEpochs: number;
  readonly train?: FinetuneOptions;
}

/** What {@link oneShot} and {@link iterative} return. */
export interface ScheduleResult {
  /** The pruned, fine-tuned inference model: pruned weights are exactly 0. */
  readonly model: Model;
  readonly plan: PrunePlan;
  /** The fine-tuning runs, in order (empty when no epoch was asked for). */
  readonly runs: readonly TrainResult[];
}

function checkEpochs(n: number, name: string, min: number): void {
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`'${name}' must be an integer >= ${min}, got ${n}.`);
}

/** The masks of a plan, by weight name. */
export function masksOf(plan: PrunePlan): MaskSet {
  return new Map(plan.layers.map((l) => [l.name, decodeMask(l)]));
}

/**
 * Prunes once with `planPruning`, zeroes the pruned weights, and fine-tunes with the masks held (pruned weights stay
 * exactly 0 through training and in the returned model).
 *
 * @throws what `planPruning` and `train` throw; RangeError for a bad `finetuneEpochs`.
 * @example
 * ```ts
 * const { model: pruned, plan } = await oneShot(model, trainSet, {
 *   prune: { criterion: 'magnitude', scope: { kind: 'layer', sparsity: 0.5 } },
 *   finetuneEpochs: 1, train: { optimizer: 'adam', lr: 1e-3 },
 * });
 * ```
 */
export async function oneShot(model: Model, trainSet: Dataset, options: OneShotOptions): Promise<ScheduleResult> {
  checkEpochs(options.finetuneEpochs, 'finetuneEpochs', 0);
  const plan = await planPruning(model, options.prune);
  const pruned = applyMasks(model, plan);
  if (options.finetuneEpochs === 0) return { model: pruned, plan, runs: [] };
  const run = await train(pruned, trainSet, { ...options.train, epochs: options.finetuneEpochs, masks: masksOf(plan) });
  return { model: run.model, plan, runs: [run] };
}

/** Options of {@link iterative}. */
export interface IterativeOptions extends LayerSelection {
  /** Prune/fine-tune rounds k, an integer >= 1. */
  readonly rounds: number;
  /** Sparsity of every selected layer after the last round, in [0, 1). */
  readonly sparsity: number;
  /** Fine-tuning epochs after each round, an integer >= 1. */
  readonly finetuneEpochs: number;
  /**
   * Trainer options of every round. Han et al. retrain at 1/10 of the original learning rate: pass that `lr` here
   * (the schedule does not change it).
   */
  readonly train?: FinetuneOptions;
  /** Called after each round with its (1-based) number, layer sparsity and fine-tuning run. */
  readonly onRound?: (round: number, sparsity: number, run: TrainResult) => void;
}

/**
 * The layer sparsity after round `r` of `k` when each round keeps the same fraction of what remains:
 * 1 − (1 − s)^(r/k).
 *
 * @example
 * ```ts
 * geometricSparsity(1, 2, 0.75);   // 0.5 (keep 1/2, then 1/2 of that)
 * ```
 */
export function geometricSparsity(round: number, rounds: number, sparsity: number): number {
  return round >= rounds ? sparsity : 1 - Math.pow(1 - sparsity, round / rounds);
}

/**
 * Iterative magnitude pruning with retraining (Han et al. 2015): k rounds of "prune the smallest surviving |w| of
 * each selected layer up to the round's sparsity, fine-tune with the masks held", with geometric per-round targets
 * (see {@link geometricSparsity}). A round never revives a weight an earlier round pruned.
 *
 * @throws RangeError for bad `rounds`, `sparsity`, `finetuneEpochs`; SecateursError `PRUNE_BAD_INPUT` for selectors
 *   that match nothing; what `train` throws.
 * @example
 * ```ts
 * const r = await iterative(model, trainSet, { rounds: 3, sparsity: 0.9, finetuneEpochs: 1, train: { lr: 1e-3 } });
 * r.plan.layers.map((l) => l.sparsity);   // [0.9, 0.9, 0.9]
 * ```
 */
export async function iterative(model: Model, trainSet: Dataset, options: IterativeOptions): Promise<ScheduleResult> {
  checkEpochs(options.rounds, 'rounds', 1);
  checkEpochs(options.finetuneEpochs, 'finetuneEpochs', 1);
  if (!(options.sparsity >= 0 && options.sparsity < 1)) throw new RangeError(`'sparsity' must be in [0, 1), got ${options.sparsity}.`);
  let masks = denseMasks(scheduleTargets(model, options, 'iterative'));
  let current = model;
  const runs: TrainResult[] = [];
  for (let r = 1; r <= options.rounds; r++) {
    const s = geometricSparsity(r, options.rounds, options.sparsity);
    masks = pruneToSparsity(current, masks, s);
    const run = await train(current, trainSet, { ...options.train, epochs: options.finetuneEpochs, masks });
    runs.push(run);
    current = run.model;
    options.onRound?.(r, s, run);
  }
  return { model: current, plan: planOf(current, masks, options.sparsity), runs };
}
