/**
 * Channel rules of normalizations, softmax and reductions. Per-channel normalizations (BatchNormalization,
 * InstanceNormalization) pass channels through and slice their parameter vectors. Anything that computes
 * statistics *across* the channel axis blocks when reached on it: LayerNormalization over the pruned axis (the
 * mean and variance of the kept channels would change — so a transformer's residual stream is not prunable, while
 * its FFN hidden units and attention heads are), Softmax over it, and reductions over it (a decomposed LayerNorm's
 * ReduceMean). On other axes they pass channels through.
 * @module
 */
import type { Arrival, ChannelRule, RuleContext, RuleResult } from '../types.js';
import { IN, OUT, block, couple, fromClasses, intsFrom, link, normAxis, passThrough, rankOf, type Slot } from './common.js';

/** BatchNormalization: X/Y axis 1 with scale, B, mean and var (and training-mode statistics outputs) on axis 0. */
export const batchNorm: ChannelRule = (ctx, at) => {
  const outs: Slot[] = ctx.node.outputs.slice(1).map((_, i) => [OUT(i + 1), 0] as const);
  return fromClasses(ctx, at, [{
    slots: [[IN(0), 1], [OUT(0), 1], [IN(1), 0, 'scale'], [IN(2), 0, 'channel'], [IN(3), 0, 'stat'], [IN(4), 0, 'stat'], ...outs],
  }], 'not the channel axis');
};

/** InstanceNormalization: X/Y axis 1 with scale and B on axis 0 (statistics are per channel). */
export const instanceNorm: ChannelRule = (ctx, at) =>
  fromClasses(ctx, at, [{ slots: [[IN(0), 1], [OUT(0), 1], [IN(1), 0, 'scale'], [IN(2), 0, 'channel']] }], 'not the channel axis');

/** LayerNormalization: blocks on the normalized axes; passes leading axes (tokens) through. */
export const layerNorm: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  if (r === undefined) return block('LayerNormalization input shape unknown');
  const first = normAxis(ctx.node.attrInt('axis', -1), r);
  if (at.port.side === 'in' && at.port.index > 0) return block('LayerNormalization scale/bias shared with a pruned tensor');
  if (normAxis(at.axis, r) >= first) {
    const axes = first === r - 1 ? `axis ${first}` : `axes ${first}..${r - 1}`;
    return block(`LayerNormalization normalizes over ${axes}, the channel axis: ` +
      'removing channels changes the mean and variance of the kept ones (residual-stream pruning is not supported)');
  }
  return passThrough(ctx, at, [IN(0), ...ctx.node.outputs.map((_, i) => OUT(i))]);
};

/** Softmax, LogSoftmax, Hardmax from opset 13: block on `axis` (default -1), pass other axes through. */
export const softmax: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  if (r === undefined) return block(`${ctx.node.opType} input shape unknown`);
  if (normAxis(at.axis, r) === normAxis(ctx.node.attrInt('axis', -1), r)) return block(`${ctx.node.opType} normalizes over the channel axis`);
  return passThrough(ctx, at, [IN(0), OUT(0)]);
};

/** Softmax before opset 13 flattens axes >= `axis` (default 1): only leading axes pass. */
export const softmaxLegacy: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  if (r === undefined) return block(`${ctx.node.opType} input shape unknown`);
  if (normAxis(at.axis, r) >= normAxis(ctx.node.attrInt('axis', 1), r)) return block(`${ctx.node.opType} (opset < 13) normalizes over the channel axis`);
  return passThrough(ctx, at, [IN(0), OUT(0)]);
};

/** Reduce* ops: block when the channel axis is reduced; otherwise map the axis through `keepdims`. */
export const reduce: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  if (r === undefined) return block(`${ctx.node.opType} input shape unknown`);
  if (at.port.side === 'in' && at.port.index > 0) return couple([]);
  const given = intsFrom(ctx, 'axes', 1);
  if (given === undefined && ctx.has(IN(1))) return block(`${ctx.node.opType} axes are not known statically`);
  const noop = ctx.node.attrInt('noop_with_empty_axes', 0) === 1;
  if ((given === undefined || given.length === 0) && noop) return passThrough(ctx, at, [IN(0), OUT(0)]);
  const axes = given && given.length > 0 ? given.map((a) => normAxis(a, r)) : Array.from({ length: r }, (_, i) => i);
  return reducedAxes(ctx, at, axes, r, ctx.node.attrInt('keepdims', 1) === 1);
};

/** ArgMax/ArgMin: one `axis` attribute. */
export const argReduce: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0));
  if (r === undefined) return block(`${ctx.node.opType} input shape unknown`);
  return reducedAxes(ctx, at, [normAxis(ctx.node.attrInt('axis', 0), r)], r, ctx.node.attrInt('keepdims', 1) === 1);
};

function reducedAxes(ctx: RuleContext, at: Arrival, axes: readonly number[], r: number, keep: boolean): RuleResult {
  const kept = Array.from({ length: r }, (_, i) => i).filter((i) => keep || !axes.includes(i));
  if (at.port.side === 'in') {
    const a = normAxis(at.axis, r);
    if (axes.includes(a)) return block(`${ctx.node.opType} reduces over the channel axis ${a}: removing channels changes the result (a decomposed normalization?)`);
    return couple([link(OUT(0), kept.indexOf(a), at.map)]);
  }
  const a = kept[at.axis];
  return a === undefined ? block(`${ctx.node.opType} output axis ${at.axis} out of range`) : couple([link(IN(0), a, at.map)]);
}

/** Ops that mix channels by design: always block with the reason. */
export function mixes(reason: string): ChannelRule {
  return () => block(reason);
}
