/**
 * N:M semi-structured masks (NVIDIA's 2:4): for every output and kernel position, keep the N largest of every M
 * consecutive weights along the INPUT axis.
 *
 * Tail: when the input dimension is not a multiple of M, the last group has t < M weights. It is treated as an
 * M-group padded with zeros that are pruned first, which keeps min(N, t) of its weights: the zero-padded tensor
 * (what a sparse kernel would run) satisfies N:M in every group.
 */
import { inputView } from '../views.js';
import type { PruneTarget } from '../targets.js';
import { argsortScores } from './rank.js';

/** Throws a RangeError unless 1 ≤ N ≤ M are integers. */
export function checkNM(n: number, m: number): void {
  if (!Number.isSafeInteger(m) || m < 1) throw new RangeError(`N:M 'm' is ${m}, out of range [1, ∞).`);
  if (!Number.isSafeInteger(n) || n < 1 || n > m) throw new RangeError(`N:M 'n' is ${n}, out of range [1, ${m}] (N must not exceed M = ${m}).`);
}

/**
 * The N:M mask (1 keep, 0 prune) of a target's scores. Within a group, ties are broken by input index.
 *
 * @example
 * ```ts
 * // Gemm transB=1 weight [1 out, 4 in]
 * nmMask(new Float32Array([0.1, 0.9, 0.5, 0.2]), target, 2, 4);   // Uint8Array [0, 1, 1, 0]
 * ```
 */
export function nmMask(scores: Float32Array, target: Pick<PruneTarget, 'shape' | 'inputAxis'>, n: number, m: number): Uint8Array {
  checkNM(n, m);
  const { rows, cols, rowOffset, colOffset } = inputView(target);
  const mask = new Uint8Array(scores.length).fill(1);
  for (let r = 0; r < rows; r++) {
    for (let start = 0; start < cols; start += m) {
      const size = Math.min(m, cols - start);
      const drop = size - Math.min(n, size);
      if (drop === 0) continue;
      const group = new Float32Array(size);
      for (let c = 0; c < size; c++) group[c] = scores[rowOffset[r]! + colOffset[start + c]!]!;
      const order = argsortScores(group);
      for (let i = 0; i < drop; i++) mask[rowOffset[r]! + colOffset[start + order[i]!]!] = 0;
    }
  }
  return mask;
}

/** Number of weights an N:M mask prunes from a target (tail rule included). */
export function nmPrunedCount(target: Pick<PruneTarget, 'shape' | 'inputAxis' | 'size'>, n: number, m: number): number {
  const cols = target.shape[target.inputAxis]!;
  const rows = target.size / cols;
  const tail = cols % m;
  return rows * (Math.floor(cols / m) * (m - n) + Math.max(0, tail - n));
}
