/**
 * Channel rules of layout ops: Reshape, Flatten, Squeeze and Unsqueeze map channels by element strides (see
 * `factors.ts`: Flatten [N,C,H,W] → [N,C·H·W] gives each channel H·W consecutive features; a head split
 * [N,T,64] → [N,T,4,16] coarsens the group to whole heads). Transpose permutes axes. Expand broadcasts. Shape,
 * Size and Constant carry no channels (a Reshape or Slice fed by shape arithmetic is rewritten from folded values).
 * @module
 */
import type { Dim } from '../../../ir/graph.js';
import type { ChannelRule, RewriteKind, RuleContext } from '../types.js';
import { reshapeMap } from '../factors.js';
import { IN, OUT, block, couple, link, normAxis, rankOf } from './common.js';

/** Reshape-like ops; `rewrite` is set for Reshape, whose target spells the sizes. */
export function reshapeLike(rewrite?: RewriteKind): ChannelRule {
  return (ctx, at) => {
    if (at.port.side === 'in' && at.port.index > 0) return couple([]);
    const x = ctx.shape(IN(0));
    const y = ctx.shape(OUT(0));
    if (!x || !y) return block(`${ctx.node.opType} shapes unknown`);
    const fromIn = at.port.side === 'in';
    const r = fromIn ? reshapeMap(x, y, at.axis, at.map) : reshapeMap(y, x, at.axis, at.map);
    if (r.kind === 'block') return block(r.reason);
    if (r.kind === 'coarsen') return r;
    if (rewrite === 'reshape') {
      const why = targetUnwritable(ctx, x, y, fromIn ? r.axis : at.axis);
      if (why) return block(why);
    }
    return couple([link(fromIn ? OUT(0) : IN(0), r.axis, r.map)], rewrite ? { rewrite } : {});
  };
}

/**
 * Why a Reshape's target cannot be rewritten once output axis `axis` loses channels, or undefined. A static target
 * is rebuilt with 0 (copy) or -1 (infer) for the dims not known as numbers, so at most one may need -1. Beyond that,
 * a target computed at run time (Shape arithmetic over unknown dims) is kept and only its entry for the channel
 * axis replaced, which needs that entry known statically.
 */
function targetUnwritable(ctx: RuleContext, x: readonly Dim[], y: readonly Dim[], axis: number): string | undefined {
  const zeroCopies = ctx.node.attrInt('allowzero', 0) === 0;
  const free = y.filter((d, j) => typeof d !== 'number' && !(zeroCopies && d !== null && x[j] === d));
  if (free.length <= 1) return undefined;
  const target = ctx.knownDims(IN(1));
  if (target?.length === y.length && typeof y[axis] === 'number' && target[axis] === y[axis]) return undefined;
  return `Reshape target has ${free.length} dims not known statically (${free.map((d) => d ?? '?').join(', ')}) ` +
    `that cannot all be written as -1, and its entry for the channel axis ${axis} is not a constant`;
}

/** Transpose: axis a of the input is axis perm.indexOf(a) of the output. */
export const transpose: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  if (r === undefined) return block('Transpose input shape unknown');
  const perm = ctx.node.attrInts('perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  const a = normAxis(at.axis, r);
  return at.port.side === 'in' ? couple([link(OUT(0), perm.indexOf(a), at.map)]) : couple([link(IN(0), perm[a]!, at.map)]);
};

/** Expand: the input's axis broadcast into the output; a target entry spelling the channel count is rewritten. */
export const expand: ChannelRule = (ctx, at) => {
  if (at.port.side === 'in' && at.port.index === 1) return couple([]);
  const x = ctx.shape(IN(0));
  const y = ctx.shape(OUT(0));
  const target = ctx.knownDims(IN(1));
  if (!x || !y) return block('Expand shapes unknown');
  const outAxis = at.port.side === 'out' ? at.axis : at.axis + (y.length - x.length);
  const t = target ? target[outAxis - (y.length - target.length)] : undefined;
  const xAxis = outAxis - (y.length - x.length);
  const links = at.port.side === 'out' && xAxis >= 0 && x[xAxis] !== 1 ? [link(IN(0), xAxis, at.map)] : [];
  if (at.port.side === 'in') links.push(link(OUT(0), outAxis, at.map));
  if (target && (t === undefined || t === 1)) return couple(links);
  if (target && t === y[outAxis] && target.every((d) => typeof d === 'number')) return couple(links, { rewrite: 'expand' });
  return block('Expand target is not known statically on the channel axis');
};

/** Shape, Size, Constant and other readers of sizes only: no channel coupling. */
export const noChannels: ChannelRule = () => couple([]);
