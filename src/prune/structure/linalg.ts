/**
 * Dense Float64 solves for least-squares reconstruction: ridge-regularized normal equations by Cholesky. Systems are
 * one layer's inputs (a few hundred to a few thousand unknowns); the Gram matrices come from onnxruntime.
 * @module
 */
import { SecateursError } from '../../errors.js';

/**
 * Solves `A·X = B` for symmetric positive definite `A` (n×n, row-major) and `B` (n×m, row-major) by Cholesky;
 * returns X (n×m). Neither input is modified.
 *
 * @throws SecateursError `PRUNE_LSQ` when A is not positive definite (the message names the pivot).
 * @example
 * ```ts
 * solveSpd(new Float64Array([4, 2, 2, 3]), 2, new Float64Array([2, 1]), 1);   // [0.5, 0]
 * ```
 */
export function solveSpd(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  if (a.length !== n * n || b.length !== n * m) throw new RangeError(`solveSpd: A must hold ${n}x${n} and B ${n}x${m} values, got ${a.length} and ${b.length}.`);
  const l = cholesky(a, n);
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {   // L·Y = B
    const li = i * n;
    for (let k = 0; k < i; k++) {
      const f = l[li + k]!;
      if (f === 0) continue;
      for (let j = 0; j < m; j++) x[i * m + j]! -= f * x[k * m + j]!;
    }
    const d = l[li + i]!;
    for (let j = 0; j < m; j++) x[i * m + j]! /= d;
  }
  for (let i = n - 1; i >= 0; i--) {   // Lᵀ·X = Y
    for (let k = i + 1; k < n; k++) {
      const f = l[k * n + i]!;
      if (f === 0) continue;
      for (let j = 0; j < m; j++) x[i * m + j]! -= f * x[k * m + j]!;
    }
    const d = l[i * n + i]!;
    for (let j = 0; j < m; j++) x[i * m + j]! /= d;
  }
  return x;
}

/** The lower Cholesky factor L of A = L·Lᵀ (row-major n×n; the upper triangle is zero). */
function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const li = i * n;
    for (let j = 0; j <= i; j++) {
      const lj = j * n;
      let s = a[li + j]!;
      for (let k = 0; k < j; k++) s -= l[li + k]! * l[lj + k]!;
      if (i === j) {
        if (!(s > 0)) throw new SecateursError('PRUNE_LSQ', `the normal equations are not positive definite (pivot ${i} of ${n} is ${s}); raise 'ridge'.`);
        l[li + i] = Math.sqrt(s);
      } else {
        l[li + j] = s / l[lj + j]!;
      }
    }
  }
  return l;
}
