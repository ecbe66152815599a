/**
 * Scoring every selected layer with one criterion: gathers what the criterion needs (weights, gradient statistics
 * from a {@link GradientSource}, input norms from a calibration dataset), then calls the registry's pure function.
 */
import type { Dataset } from '../../data/index.js';
import { SecateursError } from '../../errors.js';
import type { Model } from '../../ir/graph.js';
import { Rng } from '../../util/rng.js';
import { targetTensor, type PruneTarget } from '../targets.js';
import { checkInt, datasetProblems } from '../validate.js';
import { criterion } from './registry.js';
import type { CriterionName, GradientSource, GradientStats } from './types.js';
import { inputFeatureNorms, type NormOptions } from './wanda.js';

/** Options of {@link scoreTargets}. */
export interface ScoreTargetsOptions {
  /** Default `magnitude`. */
  readonly criterion?: CriterionName;
  /** Seed of `random` (each layer draws from its own stream, derived from the seed and its name); default 0. */
  readonly seed?: number;
  /** Gradient statistics for taylor, taylor-squared, fisher, snip and movement. */
  readonly gradients?: GradientSource;
  /** Batches the gradient source accumulates; default 8. */
  readonly gradientBatches?: number;
  /** Calibration data for wanda. */
  readonly dataset?: Dataset;
  /** Calibration settings for wanda's input norms. */
  readonly calibration?: NormOptions;
  /** Precomputed input norms for wanda (skips the calibration runs). */
  readonly inputNorms?: ReadonlyMap<string, Float32Array>;
}

/** Scores per target name, each aligned to the weight's elements. */
export type ScoreMap = ReadonlyMap<string, Float32Array>;

/**
 * What is missing for a criterion, as problem lines (checked before any work starts).
 *
 * @example
 * ```ts
 * scoreProblems(model, { criterion: 'taylor' });   // ["criterion 'taylor' needs gradients: pass a GradientSource ..."]
 * ```
 */
export function scoreProblems(model: Model, options: ScoreTargetsOptions): string[] {
  const name = options.criterion ?? 'magnitude';
  const entry = criterion(name);
  if (options.gradientBatches !== undefined) checkInt(options.gradientBatches, 'gradientBatches', 1);
  switch (entry.needs) {
    case 'weights': return [];
    case 'gradients':
      return options.gradients ? [] : [`criterion '${name}' needs gradients: pass a GradientSource as 'gradients'`];
    case 'activations':
      if (options.inputNorms) return [];
      return options.dataset ? datasetProblems(model, options.dataset) : [`criterion '${name}' needs calibration data: pass 'dataset' (or 'inputNorms')`];
  }
}

/** A 32-bit FNV-1a hash of a string (per-layer random streams). */
function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Scores each target with the chosen criterion. Criteria with `normalize: 'sum'` (SNIP) are divided by the sum of
 * all targets' scores, so layers compare on one scale.
 *
 * @throws SecateursError `PRUNE_BAD_INPUT` when the criterion's inputs are missing; `PRUNE_BAD_SCORES` for NaN scores.
 * @example
 * ```ts
 * const scores = await scoreTargets(model, findTargets(model), { criterion: 'magnitude' });
 * scores.get('fc1/weight')!.length;   // 235200
 * ```
 */
export async function scoreTargets(model: Model, targets: readonly PruneTarget[], options: ScoreTargetsOptions = {}): Promise<Map<string, Float32Array>> {
  const entry = criterion(options.criterion ?? 'magnitude');
  const problems = scoreProblems(model, options);
  if (problems.length > 0) throw new SecateursError('PRUNE_BAD_INPUT', `scoreTargets: ${problems.join('; ')}.`);
  const names = targets.map((t) => t.name);
  const grads = entry.needs === 'gradients' ? await options.gradients!.accumulate(names, options.gradientBatches ?? 8) : undefined;
  const norms = entry.needs === 'activations'
    ? options.inputNorms ?? await inputFeatureNorms(model, options.dataset!, targets, options.calibration)
    : undefined;
  const out = new Map<string, Float32Array>();
  for (const t of targets) {
    const g: GradientStats | undefined = grads?.get(t.name);
    if (grads && !g) throw new SecateursError('PRUNE_GRADIENTS', `the gradient source returned no statistics for '${t.name}'.`);
    const n = norms?.get(t.name);
    const scores = entry.score({
      target: t,
      weight: targetTensor(model.graph, t).toFloat32(),
      rng: new Rng(((options.seed ?? 0) ^ hashName(t.name)) >>> 0),
      ...(g ? { gradients: g } : {}),
      ...(n ? { inputNorms: n } : {}),
    });
    checkScores(t.name, scores, t.size);
    out.set(t.name, scores);
  }
  if (entry.normalize === 'sum') normalizeBySum(out);
  return out;
}

function checkScores(name: string, s: Float32Array, n: number): void {
  if (s.length !== n) throw new SecateursError('PRUNE_BAD_SCORES', `layer '${name}': ${s.length} scores for ${n} weights.`);
  const bad = s.findIndex((v) => Number.isNaN(v));
  if (bad >= 0) throw new SecateursError('PRUNE_BAD_SCORES', `layer '${name}': score ${bad} is NaN.`);
}

function normalizeBySum(scores: Map<string, Float32Array>): void {
  let total = 0;
  for (const s of scores.values()) for (let i = 0; i < s.length; i++) total += s[i]!;
  if (total > 0) for (const s of scores.values()) for (let i = 0; i < s.length; i++) s[i] = s[i]! / total;
}
