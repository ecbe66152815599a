/**
 * Per-channel reductions of a member tensor: the elements a group channel owns along the member's axis (its
 * `indexMap` positions, repeating with the period) summed as values, magnitudes or squares.
 * @module
 */
import type { IndexMap } from './types.js';

/** What is summed per channel. */
export type ChannelSum = 'value' | 'abs' | 'square';

/**
 * Adds, for every element of a tensor of `dims` (C order) whose position on `axis` channel `c` owns, the element's
 * value / |value| / value² into `out[c]`, and the number of elements into `counts[c]` when given.
 *
 * @example
 * ```ts
 * // W [2, 3], axis 1, channel 0 owns column 0 and channel 1 columns 1..2
 * const out = new Float64Array(2);
 * addByChannel(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], 1, { length: 3, period: 3, positions: [[0], [1, 2]] }, 'value', out);
 * out;   // [5, 16]
 * ```
 */
export function addByChannel(
  data: ArrayLike<number>, dims: readonly number[], axis: number, map: IndexMap, how: ChannelSum, out: Float64Array, counts?: Float64Array,
): void {
  const len = dims[axis]!;
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const owner = ownerOf(map, len);
  for (let o = 0; o < outer; o++) {
    for (let p = 0; p < len; p++) {
      const c = owner[p]!;
      if (c < 0) continue;
      const start = (o * len + p) * inner;
      let s = 0;
      if (how === 'value') for (let i = start; i < start + inner; i++) s += data[i]!;
      else if (how === 'abs') for (let i = start; i < start + inner; i++) s += Math.abs(data[i]!);
      else for (let i = start; i < start + inner; i++) s += data[i]! * data[i]!;
      out[c]! += s;
      if (counts) counts[c]! += inner;
    }
  }
}

/** The channel owning each position of an axis of length `len` (-1 where none does). */
export function ownerOf(map: IndexMap, len: number): Int32Array {
  const perPeriod = new Int32Array(map.period).fill(-1);
  map.positions.forEach((list, c) => { for (const q of list) perPeriod[q] = c; });
  const owner = new Int32Array(len);
  for (let p = 0; p < len; p++) owner[p] = perPeriod[p % map.period]!;
  return owner;
}
