/**
 * Channel rules of spatial ops: pooling passes channel axis 1 through; Pad and Resize pass it through when they
 * leave it alone (zero pads, scale 1), and a Resize `sizes` input that spells the channel count is rewritten.
 * @module
 */
import type { ChannelRule } from '../types.js';
import { IN, OUT, block, couple, fromClasses, intsFrom, link, normAxis, rankOf } from './common.js';

/** MaxPool, AveragePool, LpPool and the Global* pools: axis 1 in and out. MaxPool's Indices output blocks. */
export const pool: ChannelRule = (ctx, at) => {
  if (ctx.has(OUT(1))) return block(`${ctx.node.opType} Indices output encodes flat positions that include the channel`);
  return fromClasses(ctx, at, [{ slots: [[IN(0), 1], [OUT(0), 1]] }], 'a spatial axis');
};

/** Pad: passes the channel axis when its pads are zero (attribute before opset 11, inputs `pads`, `axes` after). */
export const pad: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  if (r === undefined) return block('Pad input shape unknown');
  if (at.port.side === 'in' && at.port.index > 0) return couple([]);
  const pads = intsFrom(ctx, 'pads', 1);
  if (!pads) return block('Pad pads are not known statically');
  const axes = ctx.has(IN(3)) ? ctx.known(IN(3))?.map((a) => normAxis(a, r)) : Array.from({ length: r }, (_, i) => i);
  if (!axes) return block('Pad axes are not known statically');
  const i = axes.indexOf(normAxis(at.axis, r));
  if (i >= 0 && (pads[i] !== 0 || pads[i + axes.length] !== 0)) return block(`Pad pads the channel axis ${at.axis}`);
  return couple([link(at.port.side === 'in' ? OUT(0) : IN(0), at.axis, at.map)]);
};

/** Resize (opset 10+): scale 1 on the channel axis passes; a `sizes` entry equal to the channel count is rewritten. */
export const resize: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  if (r === undefined) return block('Resize input shape unknown');
  if (at.port.side === 'in' && at.port.index > 0) return couple([]);
  const a = normAxis(at.axis, r);
  const axesAttr = ctx.node.attrInts('axes')?.map((x) => normAxis(x, r));
  const slot = axesAttr ? axesAttr.indexOf(a) : a;
  const other = link(at.port.side === 'in' ? OUT(0) : IN(0), at.axis, at.map);
  const scalesPort = ctx.opset < 11 ? IN(1) : IN(2);
  const scales = ctx.has(scalesPort) ? ctx.knownDims(scalesPort) : undefined;
  if (slot < 0) return couple([other]);
  if (scales && scales.length > 0) return scales[slot] === 1 ? couple([other]) : block('Resize scales the channel axis');
  const sizes = ctx.has(IN(3)) ? ctx.known(IN(3)) : undefined;
  const dim = ctx.shape(IN(0))?.[a];
  if (sizes && sizes[slot] === dim) return couple([other], { rewrite: 'resize' });
  return block('Resize output size on the channel axis is not known statically');
};
