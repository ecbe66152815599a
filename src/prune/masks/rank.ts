/**
 * Exact-count selection. Scores are ranked ascending with ties broken by position (the lower index is pruned
 * first), so the same scores always give the same mask, and pruning `k` elements prunes exactly `k`.
 */
import { SecateursError } from '../../errors.js';
import type { MatrixView } from '../views.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const KEY_BITS = 2 ** 21;

/** The float32 bits of `v` mapped to an unsigned integer with the same order (−0 is taken as +0). */
function orderedBits(v: number): number {
  f32[0] = v + 0;
  const u = u32[0]!;
  return u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
}

/**
 * Positions 0..n−1 sorted by (score, position) ascending. Uses one native Float64Array sort of packed
 * (score bits, position) keys when n ≤ 2²¹, a comparator sort otherwise.
 *
 * @throws SecateursError `PRUNE_BAD_SCORES` for a NaN score.
 * @example
 * ```ts
 * argsortScores(new Float32Array([3, 1, 1, 0]));   // Int32Array [3, 1, 2, 0]
 * ```
 */
export function argsortScores(scores: Float32Array): Int32Array {
  const n = scores.length;
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) throw new SecateursError('PRUNE_BAD_SCORES', `score ${i} is NaN.`);
  if (n <= KEY_BITS) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = orderedBits(scores[i]!) * KEY_BITS + i;
    keys.sort();
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = keys[i]! % KEY_BITS;
    return out;
  }
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  return idx.sort((a, b) => scores[a]! - scores[b]! || a - b);
}

/** Splits `k` prunings over rows: each row gets ⌊k/rows⌋ or one more; the extra ones go to the rows whose next
 * candidate scores lowest (ties to the lower row). */
function rowQuotas(k: number, rows: number, nextScore: (row: number, rank: number) => number): Int32Array {
  const base = Math.floor(k / rows);
  const quotas = new Int32Array(rows).fill(base);
  const extra = k - base * rows;
  if (extra === 0) return quotas;
  const keys = new Float32Array(rows);
  for (let r = 0; r < rows; r++) keys[r] = nextScore(r, base);
  const order = argsortScores(keys);
  for (let i = 0; i < extra; i++) quotas[order[i]!]!++;
  return quotas;
}

/**
 * Ranks a layer's scores once and hands out masks for any number of pruned elements, exactly. With a one-row view
 * (the default) the whole layer competes; with a row view (Wanda) every row prunes ⌊k/rows⌋ or ⌈k/rows⌉.
 *
 * @example
 * ```ts
 * const r = new Ranking(new Float32Array([0.3, 0.1, 0.2, 0.1]));
 * r.mask(2);   // Uint8Array [1, 0, 1, 0]  (1 keep, 0 prune; the tie at 0.1 prunes both)
 * r.mask(1);   // Uint8Array [1, 0, 1, 1]  (the tie is broken by index)
 * ```
 */
export class Ranking {
  readonly size: number;
  private readonly view: MatrixView;
  /** Per row, the row's columns in prune order; row r occupies [r·cols, (r+1)·cols). */
  private readonly order: Int32Array;
  private readonly rowScores: Float32Array;

  constructor(scores: Float32Array, view?: MatrixView) {
    this.size = scores.length;
    this.view = view ?? { rows: 1, cols: scores.length, rowOffset: Int32Array.of(0), colOffset: Int32Array.from({ length: scores.length }, (_, i) => i) };
    const { rows, cols, rowOffset, colOffset } = this.view;
    if (rows * cols !== scores.length) throw new RangeError(`a ${rows}x${cols} view does not fit ${scores.length} scores.`);
    this.order = new Int32Array(scores.length);
    this.rowScores = new Float32Array(scores.length);
    const row = new Float32Array(cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) row[c] = scores[rowOffset[r]! + colOffset[c]!]!;
      const o = argsortScores(row);
      this.order.set(o, r * cols);
      for (let i = 0; i < cols; i++) this.rowScores[r * cols + i] = row[o[i]!]!;
    }
  }

  /** A mask (1 keep, 0 prune) with exactly `k` pruned elements. */
  mask(k: number): Uint8Array {
    if (!Number.isSafeInteger(k) || k < 0 || k > this.size) throw new RangeError(`'k' is ${k}, out of range [0, ${this.size}].`);
    const { rows, cols, rowOffset, colOffset } = this.view;
    const quotas = rows === 1 ? Int32Array.of(k) : rowQuotas(k, rows, (r, rank) => this.rowScores[r * cols + rank]!);
    const mask = new Uint8Array(this.size).fill(1);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < quotas[r]!; i++) mask[rowOffset[r]! + colOffset[this.order[r * cols + i]!]!] = 0;
    }
    return mask;
  }
}

/**
 * A mask pruning exactly `k` of the lowest scores (ties by index); `view` makes each row compete separately.
 * Without a view, one sort of the values finds the k-th smallest score t; everything below t is pruned, then
 * the first elements equal to t (by index) until the count is exact — no full argsort needed.
 *
 * @example
 * ```ts
 * lowestK(new Float32Array([5, 1, 3]), 1);   // Uint8Array [1, 0, 1]
 * ```
 */
export function lowestK(scores: Float32Array, k: number, view?: MatrixView): Uint8Array {
  if (view) return new Ranking(scores, view).mask(k);
  const n = scores.length;
  if (!Number.isSafeInteger(k) || k < 0 || k > n) throw new RangeError(`'k' is ${k}, out of range [0, ${n}].`);
  const sorted = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new SecateursError('PRUNE_BAD_SCORES', `score ${i} is NaN.`);
    sorted[i] = scores[i]! + 0;
  }
  sorted.sort();
  const mask = new Uint8Array(n).fill(1);
  if (k === 0) return mask;
  const t = sorted[k - 1]!;
  let ties = k - countLess(sorted, t);
  for (let i = 0; i < n; i++) {
    const v = scores[i]! + 0;
    if (v < t) mask[i] = 0;
    else if (v === t && ties > 0) { mask[i] = 0; ties--; }
  }
  return mask;
}

/** Number of values of an ascending array strictly below `t`. */
function countLess(sorted: Float32Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
