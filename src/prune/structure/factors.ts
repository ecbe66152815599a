/**
 * Channels through reshapes (Reshape, Flatten, Squeeze, Unsqueeze). A row-major reshape keeps every element's
 * linear index, so the slots of a channel map sit between two element strides, `low = stride(axis)·inner` and
 * `high = low·span`, before and after. The map lands on the output axis whose strides enclose [low, high]; when an
 * output stride falls strictly inside, the span is split there and the channels must own whole pieces of it — or
 * the group is coarsened so they do (16 features of a head become one head: `[N,T,64] → [N,T,4,16]`). Symbolic
 * dims take part as monomials ('N', '4*N'), so `[T,N,64] → [T,4*N,16]` (heads merged into the batch) works too.
 * @module
 */
import type { Dim } from '../../ir/graph.js';
import { divDims, mulDims } from '../../ir/shapes/index.js';
import type { ChannelMap } from './types.js';

/** Where a map lands after a reshape, or why it cannot. */
export type ReshapeResult =
  | { readonly kind: 'map'; readonly axis: number; readonly map: ChannelMap }
  | { readonly kind: 'coarsen'; readonly factor: number; readonly reason: string }
  | { readonly kind: 'block'; readonly reason: string };

/**
 * Element strides (product of the dims after each axis). A stride is null left of an unknown dim: exports often
 * leave leading dims unknown (a sequence length lost in shape arithmetic), and the axes right of them still map.
 * Undefined when a dim is 0.
 */
function stridesOf(dims: readonly Dim[]): Dim[] | undefined {
  const out = new Array<Dim>(dims.length);
  let acc: Dim = 1;
  for (let a = dims.length - 1; a >= 0; a--) {
    out[a] = acc;
    const d = dims[a] ?? null;
    if (d === 0) return undefined;
    acc = mulDims(acc, d);
  }
  return out;
}

/** a divides b (symbolically). */
function divides(a: Dim, b: Dim): boolean {
  return divDims(b, a) !== null;
}

function same(a: Dim, b: Dim): boolean {
  return divDims(a, b) === 1;
}

function fmt(dims: readonly Dim[]): string {
  return `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/**
 * Maps a channel map on `axis` of a tensor of shape `from` into the reshaped tensor of shape `to`.
 *
 * @example
 * ```ts
 * reshapeMap(['N', 64], ['N', 4, 16], 1, seedMap(64, 16));   // { kind: 'map', axis: 1, map: { ..., block: 1, span: 4 } }
 * reshapeMap(['N', 64], ['N', 4, 16], 1, seedMap(64));       // { kind: 'coarsen', factor: 16, ... }
 * ```
 */
export function reshapeMap(from: readonly Dim[], to: readonly Dim[], axis: number, map: ChannelMap): ReshapeResult {
  const gin = stridesOf(from);
  const gout = stridesOf(to);
  const unknown: ReshapeResult = { kind: 'block', reason: `reshape ${fmt(from)} → ${fmt(to)} has unknown or zero dims` };
  if (!gin || !gout || gin[axis] === null) return unknown;
  const partial = [...from, ...to].includes(null);
  let m = map;
  for (;;) {
    const low = mulDims(gin[axis]!, m.inner);
    const high = mulDims(low, m.span);
    const hit = enclosing(gout, to, low, high);
    if (hit !== undefined) {
      const inner = divDims(low, gout[hit]!);
      if (typeof inner !== 'number') return { kind: 'block', reason: `reshape ${fmt(from)} → ${fmt(to)} puts symbolic dims inside the channels` };
      return { kind: 'map', axis: hit, map: { ...m, inner } };
    }
    const cut = largestCut(gout, low, high);
    if (cut === undefined) return partial ? unknown : { kind: 'block', reason: `reshape ${fmt(from)} → ${fmt(to)} mixes channel axis ${axis} with other axes` };
    if (m.block % cut === 0 && m.offset % cut === 0) {
      m = { ...m, span: m.span / cut, inner: m.inner * cut, block: m.block / cut, offset: m.offset / cut };
      continue;
    }
    if (cut % m.block === 0 && m.offset % cut === 0) {
      return { kind: 'coarsen', factor: cut / m.block, reason: `reshape ${fmt(from)} → ${fmt(to)} splits the channel axis into blocks of ${cut}` };
    }
    return { kind: 'block', reason: `reshape ${fmt(from)} → ${fmt(to)} splits channels of width ${m.block} at multiples of ${cut}` };
  }
}

/** The output axis whose strides enclose [low, high]. */
function enclosing(gout: readonly Dim[], to: readonly Dim[], low: Dim, high: Dim): number | undefined {
  for (let b = 0; b < to.length; b++) {
    const top = mulDims(gout[b]!, to[b]!);
    if (divides(gout[b]!, low) && divides(high, top)) return b;
  }
  return undefined;
}

/** The largest output stride strictly between low and high, as a multiple of low. */
function largestCut(gout: readonly Dim[], low: Dim, high: Dim): number | undefined {
  let cut: number | undefined;
  for (const g of gout) {
    if (!divides(low, g) || !divides(g, high) || same(g, low) || same(g, high)) continue;
    const f = divDims(g, low);
    if (typeof f === 'number' && (cut === undefined || f > cut)) cut = f;
  }
  return cut;
}
