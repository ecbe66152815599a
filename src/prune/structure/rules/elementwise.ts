/**
 * Channel rules of elementwise ops: unary maps pass channels through unchanged; broadcasting ops (Add, Mul, Where,
 * PRelu, ...) couple every operand that carries the channel axis with the output — a residual Add couples the
 * sources of both its inputs into one group, and a constant operand shaped [1,C,1,1] is sliced with them.
 * @module
 */
import type { ChannelRule } from '../types.js';
import { IN, OUT, block, broadcast, couple, passThrough, unary } from './common.js';

/**
 * Unary maps (Relu, Sigmoid, Erf, Cast, Identity, Dropout and its mask, ...): input 0 and every output carry the
 * same channels on the same axis.
 *
 * @example
 * ```ts
 * // Relu reached on its input, axis 1: couples its output on axis 1.
 * ```
 */
export const elementwiseUnary: ChannelRule = (ctx, at) => unary(ctx, at);

/** Broadcasting n-ary ops (Add, Sub, Mul, Div, Pow, Max, Min, Sum, Mean, PRelu, Where): see `broadcast`. */
export const elementwiseBroadcast: ChannelRule = (ctx, at) => {
  if (at.port.side === 'out' && at.port.index !== 0) return block(`output ${at.port.index} of ${ctx.node.opType} is not elementwise`);
  return broadcast(ctx, at, ctx.node.inputs.map((_, i) => IN(i)), OUT(0));
};

/** Clip: data in and out; min and max are scalars and never carry channels. */
export const clip: ChannelRule = (ctx, at) => {
  if (at.port.side === 'in' && at.port.index > 0) return block(`Clip bound input ${at.port.index} is not a scalar`);
  return passThrough(ctx, at, [IN(0), OUT(0)]);
};

/** CastLike: like Cast; input 1 only gives the element type. */
export const castLike: ChannelRule = (ctx, at) => {
  if (at.port.side === 'in' && at.port.index === 1) return couple([]);
  return passThrough(ctx, at, [IN(0), OUT(0)]);
};
