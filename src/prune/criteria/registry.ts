/**
 * The criteria table: one entry per name, saying what the criterion needs and how it scores. Adding a criterion
 * means adding a row here (and its pure function beside it).
 */
import { SecateursError } from '../../errors.js';
import { fisherScores, movementScores, snipScores, taylorScores, taylorSquaredScores } from './gradient.js';
import { magnitudeScores, randomScores } from './magnitude.js';
import type { CriterionEntry, CriterionName, GradientStats, ScoreInput } from './types.js';
import { wandaScores } from './wanda.js';

function grads(input: ScoreInput): GradientStats {
  if (!input.gradients) throw new SecateursError('PRUNE_GRADIENTS', `layer '${input.target.name}': this criterion needs gradient statistics.`);
  return input.gradients;
}

function norms(input: ScoreInput): Float32Array {
  if (!input.inputNorms) throw new SecateursError('PRUNE_ACTIVATIONS', `layer '${input.target.name}': wanda needs input norms.`);
  return input.inputNorms;
}

/**
 * Every importance criterion by name. Higher scores are kept.
 *
 * @example
 * ```ts
 * CRITERIA.wanda.needs;     // 'activations'
 * CRITERIA.wanda.compare;   // 'row'
 * ```
 */
export const CRITERIA: Readonly<Record<CriterionName, CriterionEntry>> = {
  magnitude: { description: '|w| (Han et al. 2015)', needs: 'weights', compare: 'layer', score: (i) => magnitudeScores(i.weight, 1) },
  'magnitude-l2': { description: 'w²', needs: 'weights', compare: 'layer', score: (i) => magnitudeScores(i.weight, 2) },
  random: { description: 'uniform random (seeded baseline)', needs: 'weights', compare: 'layer', score: (i) => randomScores(i.weight.length, i.rng) },
  taylor: { description: '|w·g| (Molchanov et al. 2017)', needs: 'gradients', compare: 'layer', score: (i) => taylorScores(grads(i)) },
  'taylor-squared': { description: '(w·g)² accumulated (Molchanov et al. 2019)', needs: 'gradients', compare: 'layer', score: (i) => taylorSquaredScores(grads(i)) },
  fisher: { description: '½·mean(g²)·w² (OBD, empirical Fisher)', needs: 'gradients', compare: 'layer', score: (i) => fisherScores(i.weight, grads(i)) },
  snip: { description: '|w·g| / Σ|w·g| over all scored layers (Lee et al. 2019)', needs: 'gradients', compare: 'layer', normalize: 'sum', score: (i) => snipScores(i.weight, grads(i), 1) },
  wanda: { description: '|W_ij|·‖X_j‖₂ within each output row (Sun et al. 2023)', needs: 'activations', compare: 'row', score: (i) => wandaScores(i.weight, i.target, norms(i)) },
  movement: { description: '−w·Σg (Sanh et al. 2020)', needs: 'gradients', compare: 'layer', score: (i) => movementScores(i.weight, grads(i)) },
};

/**
 * The registry entry of `name`.
 *
 * @throws SecateursError `PRUNE_UNKNOWN_CRITERION` listing the criteria.
 */
export function criterion(name: string): CriterionEntry {
  if (!Object.hasOwn(CRITERIA, name)) {
    throw new SecateursError('PRUNE_UNKNOWN_CRITERION', `unknown criterion '${name}'; known: ${Object.keys(CRITERIA).join(', ')}.`);
  }
  return CRITERIA[name as CriterionName];
}
