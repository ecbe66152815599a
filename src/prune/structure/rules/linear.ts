/**
 * Channel rules of the linear ops, the sources and sinks of groups. Conv: output channels are W axis 0 (source),
 * input channels W axis 1 (sink); with `group` g > 1 (depthwise included) input and output channels are coupled
 * group by group and only whole conv groups go. ConvTranspose: W is [Cin, Cout/g, ...]. Gemm and MatMul: output
 * features are the weight's N axis (source), input features its K axis (sink); MatMul batch axes couple both
 * operands (attention heads), and a contraction of two activations blocks.
 * @module
 */
import type { ChannelRule, RuleContext, Seed } from '../types.js';
import { regroup } from '../channel-map.js';
import { IN, OUT, block, couple, fromClasses, link, normAxis, rankOf, samePort, where, type CouplingClass } from './common.js';

function numericDim(ctx: RuleContext, p: ReturnType<typeof IN>, axis: number): number | undefined {
  const d = ctx.shape(p)?.[axis];
  return typeof d === 'number' ? d : undefined;
}

/** Conv: see the module comment. Rewrites `group` when g > 1. */
export const conv: ChannelRule = (ctx, at) => {
  const g = ctx.node.attrInt('group', 1);
  if (g === 1) {
    return fromClasses(ctx, at, [
      { slots: [[IN(0), 1], [IN(1), 1, 'sink']], role: 'sink' },
      { slots: [[OUT(0), 1], [IN(1), 0, 'source'], [IN(2), 0]], role: 'source' },
    ], 'not a channel axis');
  }
  const cin = numericDim(ctx, IN(0), 1);
  const cout = numericDim(ctx, IN(1), 0);
  if (cin === undefined || cout === undefined) return block('Conv channel counts unknown');
  const [ci, co] = [cin / g, cout / g];
  const fromInput = samePort(at.port, IN(0));
  if (!(fromInput && at.axis === 1) && !(samePort(at.port, OUT(0)) && at.axis === 1) && !(at.port.side === 'in' && at.port.index > 0 && at.axis === 0)) {
    return block(`grouped Conv reached on ${where(at)}, not a channel axis`);
  }
  const unit = fromInput ? ci : co;
  if (at.map.block % unit !== 0) {
    if (unit % at.map.block === 0 && at.map.offset % unit === 0) {
      return { kind: 'coarsen', factor: unit / at.map.block, reason: `Conv group=${g} prunes whole groups of ${unit} channels` };
    }
    return block(`Conv group=${g}: channels of width ${at.map.block} do not cover whole groups of ${unit}`);
  }
  const other = fromInput ? regroup(at.map, ci, co) : regroup(at.map, co, ci);
  if (typeof other === 'string') return block(`Conv group=${g}: ${other}`);
  const [xmap, ymap] = fromInput ? [at.map, other] : [other, at.map];
  const links = [link(IN(0), 1, xmap), link(OUT(0), 1, ymap), link(IN(1), 0, ymap, 'channel'), link(IN(2), 0, ymap)];
  return couple(links.filter((l) => ctx.has(l.port) && !(samePort(l.port, at.port) && l.axis === at.axis)), { rewrite: 'convGroup' });
};

/** ConvTranspose (group 1): W [Cin, Cout, ...]. */
export const convTranspose: ChannelRule = (ctx, at) => {
  if (ctx.node.attrInt('group', 1) !== 1) return block('grouped ConvTranspose is not supported');
  return fromClasses(ctx, at, [
    { slots: [[IN(0), 1], [IN(1), 0, 'sink']], role: 'sink' },
    { slots: [[OUT(0), 1], [IN(1), 1, 'source'], [IN(2), 0]], role: 'source' },
  ], 'not a channel axis');
};

/** Output channels of Conv (W axis 0) and ConvTranspose (W axis 1 · group) start groups. */
export function convSeeds(weightAxis: 0 | 1): (ctx: RuleContext) => readonly Seed[] {
  return (ctx) => {
    const c = ctx.isConstant(IN(1)) ? numericDim(ctx, IN(1), weightAxis) : undefined;
    return c !== undefined && c > 1 ? [{ port: OUT(0), axis: 1, channels: c * (weightAxis === 1 ? ctx.node.attrInt('group', 1) : 1) }] : [];
  };
}

/** Gemm: A [M,K] (or [K,M]), B [K,N] (or [N,K]), C broadcast to [M,N]. */
export const gemm: ChannelRule = (ctx, at) => {
  const tA = ctx.node.attrInt('transA', 0) === 1;
  const tB = ctx.node.attrInt('transB', 0) === 1;
  const [aM, aK, bK, bN] = [tA ? 1 : 0, tA ? 0 : 1, tB ? 1 : 0, tB ? 0 : 1];
  const c = ctx.shape(IN(2));
  const cSlot = (outAxis: number): CouplingClass['slots'] => {
    const a = c ? outAxis - (2 - c.length) : -1;
    return c && a >= 0 && c[a] !== 1 ? [[IN(2), a]] : [];
  };
  const bConst = ctx.isConstant(IN(1));
  const aConst = ctx.isConstant(IN(0));
  const contraction: CouplingClass = { slots: [[IN(0), aK, aConst ? 'sink' : undefined], [IN(1), bK, bConst ? 'sink' : undefined]], role: 'sink' };
  if ((at.port.index === 0 && at.axis === aK || at.port.index === 1 && at.axis === bK) && at.port.side === 'in' && !aConst && !bConst) {
    return block('Gemm contracts two activations over the channel axis');
  }
  return fromClasses(ctx, at, [
    { slots: [[IN(0), aM], [OUT(0), 0], ...cSlot(0)] },
    contraction,
    { slots: [[IN(1), bN, bConst ? 'source' : undefined], [OUT(0), 1], ...cSlot(1)], ...(bConst ? { role: 'source' as const } : {}) },
  ], 'not a feature axis');
};

/** Gemm output features start a group when B is a constant. */
export const gemmSeeds = (ctx: RuleContext): readonly Seed[] => {
  const n = ctx.isConstant(IN(1)) ? numericDim(ctx, IN(1), ctx.node.attrInt('transB', 0) === 1 ? 0 : 1) : undefined;
  return n !== undefined && n > 1 ? [{ port: OUT(0), axis: 1, channels: n }] : [];
};

/** MatMul: see the module comment. Rank-1 operands block. */
export const matmul: ChannelRule = (ctx, at) => {
  const [ra, rb, R] = [rankOf(ctx, IN(0)), rankOf(ctx, IN(1)), rankOf(ctx, OUT(0))];
  if (ra === undefined || rb === undefined || R === undefined) return block('MatMul shapes unknown');
  if (ra < 2 || rb < 2) return block('MatMul with a rank-1 operand is not supported');
  const [aConst, bConst] = [ctx.isConstant(IN(0)), ctx.isConstant(IN(1))];
  const arrivalRank = at.port.side === 'out' ? R : at.port.index === 0 ? ra : rb;
  const axis = normAxis(at.axis, arrivalRank);
  const isA = samePort(at.port, IN(0));
  const isB = samePort(at.port, IN(1));
  if ((isA && axis === ra - 1) || (isB && axis === rb - 2)) {
    if (!aConst && !bConst) return block('MatMul contracts two activations over the channel axis (head-dim pruning is not supported)');
    const other = isA ? link(IN(1), rb - 2, at.map, bConst ? 'sink' : undefined) : link(IN(0), ra - 1, at.map, aConst ? 'sink' : undefined);
    return couple([other], { role: 'sink' });
  }
  if ((isA && axis === ra - 2) || (!isB && !isA && axis === R - 2)) return couple([link(isA ? OUT(0) : IN(0), isA ? R - 2 : ra - 2, at.map)]);
  if ((isB && axis === rb - 1) || (!isA && !isB && axis === R - 1)) {
    const l = isB ? link(OUT(0), R - 1, at.map) : link(IN(1), rb - 1, at.map, bConst ? 'source' : undefined);
    return couple([l], bConst ? { role: 'source' } : {});
  }
  return batchAxes(ctx, at.map, axis, arrivalRank, [ra, rb, R], at.port);
};

/** Broadcast batch axes of MatMul: operands aligned from the right over their leading (rank - 2) axes. */
function batchAxes(ctx: RuleContext, map: Parameters<typeof link>[2], axis: number, rank: number, ranks: readonly [number, number, number], from: ReturnType<typeof IN>): ReturnType<ChannelRule> {
  const [ra, rb, R] = ranks;
  const outAxis = axis + (R - rank);
  const links = [];
  for (const [p, r] of [[IN(0), ra], [IN(1), rb], [OUT(0), R]] as const) {
    if (samePort(p, from)) continue;
    const a = outAxis - (R - r);
    const d = ctx.shape(p)?.[a];
    if (a < 0 || (p.side === 'in' && d === 1)) continue;
    links.push(link(p, a, map));
  }
  return couple(links);
}

/** MatMul output features start a group when B is a constant matrix. */
export const matmulSeeds = (ctx: RuleContext): readonly Seed[] => {
  const b = ctx.shape(IN(1));
  const R = rankOf(ctx, OUT(0));
  if (!ctx.isConstant(IN(1)) || !b || b.length !== 2 || R === undefined) return [];
  const n = b[1];
  return typeof n === 'number' && n > 1 ? [{ port: OUT(0), axis: R - 1, channels: n }] : [];
};
