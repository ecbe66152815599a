import { Rng } from '../util/rng.js';
import type { Dataset } from './types.js';
import { sampleSize } from './types.js';

/**
 * A new dataset of the samples at `indices`, in that order (repeats allowed); `x` and `y` are copies.
 * `split` renames the split (default: unchanged).
 *
 * @throws RangeError for an index outside `[0, count)` or not an integer.
 * @example
 * ```ts
 * const firstAndThird = subset(ds, [0, 2]);
 * firstAndThird.count; // 2
 * ```
 */
export function subset(ds: Dataset, indices: ArrayLike<number>, split: string = ds.split): Dataset {
  const size = sampleSize(ds);
  const n = indices.length;
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i]!;
    if (!Number.isInteger(j) || j < 0 || j >= ds.count) {
      throw new RangeError(`'indices[${i}]' is ${j}, out of range [0, ${ds.count}).`);
    }
    x.set(ds.x.subarray(j * size, (j + 1) * size), i * size);
    y[i] = ds.y[j]!;
  }
  return { ...ds, split, x, y, count: n };
}

/**
 * The first `min(n, count)` samples, copied.
 *
 * @throws RangeError when `n` is not an integer >= 0.
 * @example
 * ```ts
 * take(ds, 1000).count; // 1000 (or fewer if ds is smaller)
 * ```
 */
export function take(ds: Dataset, n: number): Dataset {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`'n' must be an integer in [0, ∞), got ${n}.`);
  const m = Math.min(n, ds.count);
  const size = sampleSize(ds);
  return { ...ds, x: ds.x.slice(0, m * size), y: ds.y.slice(0, m), count: m };
}

/** Options of {@link splitTrainVal}: give exactly one of `valFraction` and `valCount`. */
export interface SplitOptions {
  /** Fraction of samples for validation, in [0, 1]; rounded to the nearest count. */
  readonly valFraction?: number;
  /** Number of samples for validation, in [0, count]. */
  readonly valCount?: number;
  /** Seed of the shuffle; the same seed gives the same split. */
  readonly seed: number;
  /**
   * Keep each class's share (default `false`): class `c` with `n_c` samples gives `valCount * n_c / count`
   * validation samples, rounded by largest remainder (ties to the lower label) so the total is exactly `valCount`.
   */
  readonly stratified?: boolean;
}

/** The two halves of a split, with the original indices each took (ascending). */
export interface TrainValSplit {
  readonly train: Dataset;
  readonly val: Dataset;
  readonly trainIndices: Int32Array;
  readonly valIndices: Int32Array;
}

/**
 * Splits a dataset into disjoint `train` and `val` parts covering every sample once, chosen by a seeded shuffle
 * (per class when `stratified`). Both parts keep the original sample order.
 *
 * @throws TypeError unless exactly one of `valFraction`/`valCount` is given; RangeError for values out of range.
 * @example
 * ```ts
 * const { train, val } = splitTrainVal(ds, { valFraction: 0.1, seed: 1, stratified: true });
 * ```
 */
export function splitTrainVal(ds: Dataset, options: SplitOptions): TrainValSplit {
  const valCount = resolveValCount(ds.count, options);
  const rng = new Rng(options.seed);
  const chosen = options.stratified ? stratifiedPick(ds, valCount, rng) : randomPick(ds.count, valCount, rng);
  const isVal = new Uint8Array(ds.count);
  for (const i of chosen) isVal[i] = 1;
  const valIndices = new Int32Array(valCount);
  const trainIndices = new Int32Array(ds.count - valCount);
  let v = 0;
  let t = 0;
  for (let i = 0; i < ds.count; i++) {
    if (isVal[i]) valIndices[v++] = i;
    else trainIndices[t++] = i;
  }
  return {
    train: subset(ds, trainIndices, 'train'),
    val: subset(ds, valIndices, 'val'),
    trainIndices,
    valIndices,
  };
}

function resolveValCount(count: number, o: SplitOptions): number {
  if ((o.valFraction === undefined) === (o.valCount === undefined)) {
    throw new TypeError(`give exactly one of 'valFraction' and 'valCount'.`);
  }
  if (!Number.isFinite(o.seed)) throw new RangeError(`'seed' must be a finite number, got ${o.seed}.`);
  if (o.valFraction !== undefined) {
    const f = o.valFraction;
    if (!(f >= 0 && f <= 1)) throw new RangeError(`'valFraction' is ${f}, out of range [0, 1].`);
    return Math.round(f * count);
  }
  const c = o.valCount!;
  if (!Number.isInteger(c) || c < 0 || c > count) {
    throw new RangeError(`'valCount' is ${c}, out of range [0, ${count}].`);
  }
  return c;
}

function randomPick(count: number, valCount: number, rng: Rng): Int32Array {
  const perm = Int32Array.from({ length: count }, (_, i) => i);
  rng.shuffle(perm);
  return perm.subarray(0, valCount);
}

function stratifiedPick(ds: Dataset, valCount: number, rng: Rng): Int32Array {
  const byClass = indicesByClass(ds);
  const quotas = largestRemainder(byClass.map((c) => c.length), valCount, ds.count);
  const out = new Int32Array(valCount);
  let k = 0;
  byClass.forEach((members, c) => {
    rng.shuffle(members);
    out.set(members.subarray(0, quotas[c]!), k);
    k += quotas[c]!;
  });
  return out;
}

/** Sample indices of each label, ascending; labels absent from the data get empty lists. */
export function indicesByClass(ds: Dataset): Int32Array[] {
  const counts = new Int32Array(ds.numClasses);
  for (let i = 0; i < ds.count; i++) {
    const c = ds.y[i]!;
    if (!(c >= 0 && c < ds.numClasses)) {
      throw new RangeError(`label ${c} of sample ${i} is out of range [0, ${ds.numClasses}).`);
    }
    counts[c]!++;
  }
  const lists = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(ds.numClasses);
  for (let i = 0; i < ds.count; i++) {
    const c = ds.y[i]!;
    lists[c]![fill[c]!++] = i;
  }
  return lists;
}

/** Splits `total` among groups proportionally to `sizes` (summing to `of`), exactly, by largest remainder. */
function largestRemainder(sizes: readonly number[], total: number, of: number): number[] {
  if (of === 0) return sizes.map(() => 0);
  const exact = sizes.map((n) => (total * n) / of);
  const quotas = exact.map(Math.floor);
  let left = total - quotas.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    if (quotas[i]! < sizes[i]!) {
      quotas[i]!++;
      left--;
    }
  }
  return quotas;
}
