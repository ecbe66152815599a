/**
 * Channel rules of index-mapping ops. Concat along the channel axis shifts each input's channels by its offset (and
 * splits an output map back into pieces); Split and Slice along it keep sub-ranges, and their sizes/bounds are
 * rewritten on apply. Along any other axis these ops pass channels through. Gather passes axes it does not index.
 * @module
 */
import type { Arrival, ChannelRule, Link, Port, RuleContext, RuleResult } from '../types.js';
import { periodOf, restrict, shift } from '../channel-map.js';
import { IN, OUT, block, couple, intsFrom, link, normAxis, passThrough, rankOf } from './common.js';

function sizesAlong(ctx: RuleContext, ports: readonly Port[], axis: number): number[] | undefined {
  const out: number[] = [];
  for (const p of ports) {
    const d = ctx.shape(p)?.[axis];
    if (typeof d !== 'number') return undefined;
    out.push(d);
  }
  return out;
}

/** Pieces [lo, hi) of an axis cut into `sizes`, with their ports; an arrival on the whole maps into each piece. */
function intoPieces(at: Arrival, pieces: readonly (readonly [Port, number, number])[]): RuleResult | Link[] {
  const links: Link[] = [];
  for (const [p, lo, hi] of pieces) {
    const m = restrict(at.map, lo, hi);
    if (typeof m === 'string') return block(m);
    if (m) links.push(link(p, at.axis, m));
  }
  return links;
}

function offsets(sizes: readonly number[]): number[] {
  const out = [0];
  for (const s of sizes) out.push(out[out.length - 1]! + s);
  return out;
}

/** Concat: see the module comment. */
export const concat: ChannelRule = (ctx, at) => {
  const R = rankOf(ctx, OUT(0));
  if (R === undefined) return block('Concat output shape unknown');
  const ins = ctx.node.inputs.map((_, i) => IN(i));
  if (normAxis(at.axis, R) !== normAxis(ctx.node.attrInt('axis', 0), R)) return passThrough(ctx, at, [...ins, OUT(0)]);
  const sizes = sizesAlong(ctx, ins, at.axis);
  if (!sizes) return block('Concat input sizes along the channel axis unknown');
  const off = offsets(sizes);
  if (periodOf(at.map) !== (at.port.side === 'in' ? sizes[at.port.index] : off[sizes.length])) return block('Concat along a channel axis that repeats (outer factor)');
  if (at.port.side === 'in') {
    const m = shift(at.map, off[at.port.index]!, off[sizes.length]!);
    return typeof m === 'string' ? block(`Concat: ${m}`) : couple([link(OUT(0), at.axis, m)]);
  }
  const r = intoPieces(at, ins.map((p, i) => [p, off[i]!, off[i + 1]!] as const));
  return Array.isArray(r) ? couple(r) : r;
};

/** Split sizes: attribute (opset < 13), input 1, or an equal split into the outputs (ceil, as opset 18). */
function splitSizes(ctx: RuleContext, length: number): number[] | undefined {
  const given = intsFrom(ctx, 'split', 1);
  if (given) return [...given];
  if (ctx.has(IN(1))) return undefined;
  const n = ctx.node.outputs.length;
  const each = Math.ceil(length / n);
  return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(each, length - i * each)));
}

/** Split: see the module comment. */
export const split: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  if (r === undefined) return block('Split input shape unknown');
  if (at.port.side === 'in' && at.port.index > 0) return couple([]);
  const outs = ctx.node.outputs.map((_, i) => OUT(i));
  const axis = normAxis(ctx.node.attrInt('axis', 0), r);
  if (normAxis(at.axis, r) !== axis) return passThrough(ctx, at, [IN(0), ...outs]);
  const length = ctx.shape(IN(0))?.[axis];
  const sizes = typeof length === 'number' ? splitSizes(ctx, length) : undefined;
  if (!sizes || typeof length !== 'number') return block('Split sizes along the channel axis are not known statically');
  const off = offsets(sizes);
  if (periodOf(at.map) !== (at.port.side === 'in' ? length : sizes[at.port.index])) return block('Split along a channel axis that repeats (outer factor)');
  if (at.port.side === 'out') {
    const m = shift(at.map, off[at.port.index]!, length);
    return typeof m === 'string' ? block(`Split: ${m}`) : couple([link(IN(0), axis, m)], { rewrite: 'split' });
  }
  const links = intoPieces(at, outs.map((p, i) => [p, off[i]!, off[i + 1]!] as const));
  return Array.isArray(links) ? couple(links, { rewrite: 'split' }) : links;
};

/** Start and end of a step-1 slice of an axis of `length`, clamped as ONNX does. */
export function sliceBounds(start: number, end: number, length: number): [number, number] {
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + length : v, 0), length);
  return [clamp(start), clamp(end)];
}

/** Slice (attributes before opset 10, inputs after): the channel axis must be sliced with step 1. */
export const slice: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  if (r === undefined) return block('Slice input shape unknown');
  if (at.port.side === 'in' && at.port.index > 0) return couple([]);
  const attrs = ctx.opset < 10;
  const starts = attrs ? ctx.node.attrInts('starts') : ctx.known(IN(1));
  const ends = attrs ? ctx.node.attrInts('ends') : ctx.known(IN(2));
  const axes = (attrs ? ctx.node.attrInts('axes') : ctx.has(IN(3)) ? ctx.known(IN(3)) : undefined) ?? starts?.map((_, i) => i);
  const steps = attrs || !ctx.has(IN(4)) ? starts?.map(() => 1) : ctx.known(IN(4));
  if (!starts || !ends || !axes || !steps) return block('Slice bounds are not known statically');
  const a = normAxis(at.axis, r);
  const k = axes.map((x) => normAxis(x, r)).indexOf(a);
  if (k < 0) return passThrough(ctx, at, [IN(0), OUT(0)]);
  const length = ctx.shape(IN(0))?.[a];
  if (typeof length !== 'number') return block('Slice channel axis length unknown');
  if (steps[k] !== 1) return block(`Slice along the channel axis with step ${steps[k]} is not supported`);
  const [s, e] = sliceBounds(starts[k]!, ends[k]!, length);
  if (periodOf(at.map) !== (at.port.side === 'in' ? length : Math.max(0, e - s))) return block('Slice along a channel axis that repeats (outer factor)');
  if (at.port.side === 'out') {
    const m = shift(at.map, s, length);
    return typeof m === 'string' ? block(`Slice: ${m}`) : couple([link(IN(0), a, m)], { rewrite: 'slice' });
  }
  const links = intoPieces(at, [[OUT(0), s, Math.max(s, e)]]);
  return Array.isArray(links) ? couple(links, { rewrite: 'slice' }) : links;
};

/** Gather: passes the axes it does not index (a class-token pick on the token axis keeps the channel axis). */
export const gather: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  const q = rankOf(ctx, IN(1));
  if (r === undefined || q === undefined) return block('Gather shapes unknown');
  const axis = normAxis(ctx.node.attrInt('axis', 0), r);
  if (at.port.side === 'in' && at.port.index === 1) return block('Gather indices carry the channels');
  if (at.port.side === 'in') {
    const a = normAxis(at.axis, r);
    if (a === axis) return block(`Gather selects along the channel axis ${a}`);
    return couple([link(OUT(0), a < axis ? a : a + q - 1, at.map)]);
  }
  const j = at.axis;
  if (j >= axis && j < axis + q) return block('Gather output channel axis comes from the indices');
  return couple([link(IN(0), j < axis ? j : j - q + 1, at.map)]);
};
