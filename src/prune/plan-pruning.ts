/** One call from a model to a PrunePlan: validate, score the selected layers, compute the masks. */
import type { Model } from '../ir/graph.js';
import { scoreProblems, scoreTargets, type ScoreTargetsOptions } from './criteria/score.js';
import type { CriterionName } from './criteria/types.js';
import { computeMasks, maskProblems } from './masks/compute.js';
import type { PrunePlan } from './masks/plan.js';
import type { MaskOptions } from './masks/types.js';
import { findTargets } from './targets.js';
import { failOn } from './validate.js';

/** Options of {@link planPruning}: what to score with, and how to mask. */
export interface PlanPruningOptions extends Omit<MaskOptions, 'criterion'>, Omit<ScoreTargetsOptions, 'criterion'> {
  /** Default `magnitude`. */
  readonly criterion?: CriterionName;
}

/**
 * Scores the selected layers with the criterion and computes their masks. Every problem with the options (and the
 * dataset, for wanda) is reported before any scoring run starts. Returns plain data; the model is untouched.
 *
 * @throws RangeError for numbers outside their interval; SecateursError `PRUNE_BAD_INPUT` listing every other problem.
 * @example
 * ```ts
 * const plan = await planPruning(model, { criterion: 'magnitude', scope: { kind: 'global', sparsity: 0.9 } });
 * const pruned = applyMasks(model, plan);
 * ```
 */
export async function planPruning(model: Model, options: PlanPruningOptions): Promise<PrunePlan> {
  const targets = findTargets(model);
  const { selected, problems } = maskProblems(model, targets, options);
  problems.push(...scoreProblems(model, options));
  failOn(problems, 'planPruning');
  const scores = await scoreTargets(model, selected, options);
  return computeMasks(model, scores, options);
}
