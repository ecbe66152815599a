/** Weight-only criteria: magnitude (Han et al. 2015) and the random baseline (Blalock et al. 2020). */
import type { Rng } from '../../util/rng.js';

/**
 * Magnitude scores: |w| (`p` = 1, the default) or w² (`p` = 2). Both rank a layer identically; they differ once
 * scores are averaged (block masks) or normalized across layers.
 *
 * @example
 * ```ts
 * magnitudeScores(new Float32Array([-2, 0.5]));      // Float32Array [2, 0.5]
 * magnitudeScores(new Float32Array([-2, 0.5]), 2);   // Float32Array [4, 0.25]
 * ```
 */
export function magnitudeScores(weight: Float32Array, p: 1 | 2 = 1): Float32Array {
  const out = new Float32Array(weight.length);
  for (let i = 0; i < weight.length; i++) {
    const w = weight[i]!;
    out[i] = p === 1 ? Math.abs(w) : w * w;
  }
  return out;
}

/**
 * Uniform random scores in [0, 1) from a seeded generator: the baseline every comparison needs.
 *
 * @example
 * ```ts
 * randomScores(4, new Rng(0)).length;   // 4, the same values for the same seed
 * ```
 */
export function randomScores(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next();
  return out;
}
