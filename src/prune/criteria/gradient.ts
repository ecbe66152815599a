/**
 * Gradient-based criteria, as pure functions of the weight and its {@link GradientStats} over `count` batches
 * (ḡ = sum / count is the mean batch gradient):
 *
 * | criterion | score | source |
 * |---|---|---|
 * | taylor | \|Σ_b w·g_b\| / count (= \|w·ḡ\| for a fixed w) | Molchanov et al. 2017 |
 * | taylor-squared | Σ_b (w·g_b)² / count | Molchanov et al. 2019 |
 * | fisher | ½ · (Σ_b g_b² / count) · w² | LeCun et al. 1990 (OBD, empirical Fisher diagonal) |
 * | snip | \|w·ḡ\| / Σ \|w·ḡ\| | Lee et al. 2019 |
 * | movement | −w · Σ_b g_b | Sanh et al. 2020 |
 *
 * Fisher's mean g² is over batch gradients: it is the per-sample empirical Fisher only with one-sample batches
 * (larger batches shrink it by about the batch size, uniformly, which does not change rankings).
 */
import { SecateursError } from '../../errors.js';
import type { GradientStats } from './types.js';

function checkStats(g: GradientStats, n: number): void {
  const bad = (['sum', 'sumSq', 'sumWG', 'sumWGsq'] as const).filter((k) => g[k].length !== n);
  if (bad.length > 0) {
    throw new SecateursError('PRUNE_GRADIENTS', `gradient statistics ${bad.join(', ')} must have ${n} elements (the weight's size), got ${bad.map((k) => g[k].length).join(', ')}.`);
  }
  if (!Number.isInteger(g.count) || g.count < 1) throw new RangeError(`gradient statistics 'count' must be an integer >= 1, got ${g.count}.`);
}

function map(n: number, f: (i: number) => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

/**
 * First-order Taylor importance |w·g|, from accumulated w·g (Molchanov et al. 2017).
 *
 * @example
 * ```ts
 * taylorScores(stats);   // |stats.sumWG[i]| / stats.count
 * ```
 */
export function taylorScores(g: GradientStats): Float32Array {
  checkStats(g, g.sumWG.length);
  return map(g.sumWG.length, (i) => Math.abs(g.sumWG[i]!) / g.count);
}

/**
 * Squared Taylor importance (w·g)², accumulated per batch and averaged (Molchanov et al. 2019).
 *
 * @example
 * ```ts
 * taylorSquaredScores(stats);   // stats.sumWGsq[i] / stats.count
 * ```
 */
export function taylorSquaredScores(g: GradientStats): Float32Array {
  checkStats(g, g.sumWGsq.length);
  return map(g.sumWGsq.length, (i) => g.sumWGsq[i]! / g.count);
}

/**
 * Optimal Brain Damage saliency ½·h·w² with h ≈ mean g² (empirical Fisher diagonal).
 *
 * @example
 * ```ts
 * fisherScores(new Float32Array([2]), { ...stats, sumSq: new Float32Array([8]), count: 2 });   // [0.5·4·4] = [8]
 * ```
 */
export function fisherScores(weight: Float32Array, g: GradientStats): Float32Array {
  checkStats(g, weight.length);
  return map(weight.length, (i) => 0.5 * (g.sumSq[i]! / g.count) * weight[i]! * weight[i]!);
}

/**
 * SNIP connection sensitivity |w·ḡ| divided by `total` (default: its own sum, so the scores sum to 1). Pass the sum
 * over every scored layer to rank layers against each other as SNIP does.
 *
 * @example
 * ```ts
 * snipScores(new Float32Array([1, -1]), { ...stats, sum: new Float32Array([3, 1]), count: 1 });   // [0.75, 0.25]
 * ```
 */
export function snipScores(weight: Float32Array, g: GradientStats, total?: number): Float32Array {
  checkStats(g, weight.length);
  const raw = map(weight.length, (i) => Math.abs(weight[i]! * g.sum[i]!) / g.count);
  const z = total ?? raw.reduce((a, b) => a + b, 0);
  return z > 0 ? raw.map((v) => v / z) : raw;
}

/**
 * Movement importance −w·Σg (Sanh et al. 2020): weights moving away from zero during fine-tuning score high.
 * Scores may be negative; the lowest are pruned.
 *
 * @example
 * ```ts
 * movementScores(new Float32Array([1]), { ...stats, sum: new Float32Array([-0.5]) });   // [0.5]
 * ```
 */
export function movementScores(weight: Float32Array, g: GradientStats): Float32Array {
  checkStats(g, weight.length);
  return map(weight.length, (i) => -weight[i]! * g.sum[i]!);
}
