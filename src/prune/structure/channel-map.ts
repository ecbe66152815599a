/**
 * Operations on {@link ChannelMap}s: the positions a group's channels own along one axis, and how Concat, Slice,
 * Split and grouped convolutions move them. Reshapes are in `factors.ts`.
 * @module
 */
import type { ChannelMap } from './types.js';

/**
 * The map of a source's output channels: `count` units of `block` channels starting at channel `offset`.
 *
 * @example
 * ```ts
 * seedMap(64, 16);   // 4 units of 16 channels: { first: 0, count: 4, offset: 0, block: 16, span: 64, inner: 1 }
 * ```
 */
export function seedMap(channels: number, block = 1, offset = 0, count = channels / block): ChannelMap {
  return { first: 0, count, offset, block, span: channels, inner: 1 };
}

/** Positions per outer repeat of the axis (span · inner). */
export function periodOf(m: ChannelMap): number {
  return m.span * m.inner;
}

/**
 * The unit owning each position of one period (-1 where the group has none).
 *
 * @example
 * ```ts
 * unitsOf({ first: 0, count: 2, offset: 1, block: 1, span: 4, inner: 2 });   // [-1,-1, 0,0, 1,1, -1,-1]
 * ```
 */
export function unitsOf(m: ChannelMap): Int32Array {
  const out = new Int32Array(periodOf(m)).fill(-1);
  for (let j = 0; j < m.count; j++) {
    const lo = (m.offset + j * m.block) * m.inner;
    out.fill(m.first + j, lo, lo + m.block * m.inner);
  }
  return out;
}

/**
 * The channels whose positions lie in [lo, hi) of an axis the map covers once (outer 1), re-based to lo:
 * what a Slice or a Split piece keeps. Undefined when no channel is inside; a string when [lo, hi) cuts a channel.
 *
 * @example
 * ```ts
 * restrict(seedMap(192, 16), 64, 128);   // units 4..7: { first: 4, count: 4, offset: 0, block: 16, span: 64, inner: 1 }
 * ```
 */
export function restrict(m: ChannelMap, lo: number, hi: number): ChannelMap | undefined | string {
  if (lo % m.inner !== 0 || hi % m.inner !== 0) return `range [${lo}, ${hi}) cuts through blocks of ${m.inner} positions`;
  const [slo, shi] = [lo / m.inner, hi / m.inner];
  let jmin = -1;
  let jmax = -1;
  for (let j = 0; j < m.count; j++) {
    const a = m.offset + j * m.block;
    const b = a + m.block;
    if (b <= slo || a >= shi) continue;
    if (a < slo || b > shi) return `range [${lo}, ${hi}) cuts through channel ${m.first + j} (positions [${a * m.inner}, ${b * m.inner}))`;
    if (jmin < 0) jmin = j;
    jmax = j;
  }
  if (jmin < 0) return undefined;
  return { first: m.first + jmin, count: jmax - jmin + 1, offset: m.offset + jmin * m.block - slo, block: m.block, span: shi - slo, inner: m.inner };
}

/**
 * The map moved by `by` positions into an axis of `length` positions (a Concat input into the output, a Slice
 * output back into its input); a string when `by` is not a whole number of inner blocks.
 *
 * @example
 * ```ts
 * shift(seedMap(16), 8, 40);   // { ..., offset: 8, span: 40 }
 * ```
 */
export function shift(m: ChannelMap, by: number, length: number): ChannelMap | string {
  if (by % m.inner !== 0 || length % m.inner !== 0) return `offset ${by} is not a multiple of the ${m.inner}-position blocks`;
  return { ...m, offset: m.offset + by / m.inner, span: length / m.inner };
}

/**
 * Input channels of a grouped convolution to its output channels (or back): the map must own whole groups of
 * `from` channels; each becomes a group of `to` channels. A string when it splits a group.
 *
 * @example
 * ```ts
 * regroup(seedMap(32), 1, 2);   // depthwise with multiplier 2: channel k -> output channels 2k, 2k+1
 * ```
 */
export function regroup(m: ChannelMap, from: number, to: number): ChannelMap | string {
  if (m.inner !== 1) return 'channel axis carries an inner block';
  if (m.offset % from !== 0 || m.block % from !== 0) return `channels of width ${m.block} do not cover whole conv groups of ${from}`;
  if (m.span % from !== 0) return `axis of ${m.span} channels is not a whole number of conv groups of ${from}`;
  return { ...m, offset: (m.offset / from) * to, block: (m.block / from) * to, span: (m.span / from) * to };
}

/** Structural equality of two maps. */
export function sameMap(a: ChannelMap, b: ChannelMap): boolean {
  return a.first === b.first && a.count === b.count && a.offset === b.offset && a.block === b.block && a.span === b.span && a.inner === b.inner;
}
