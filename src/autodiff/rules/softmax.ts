/**
 * Gradient rules of Softmax and LogSoftmax. From opset 13 they normalize along one `axis` (default −1); before 13 the
 * input is coerced to 2-D at `axis` (default 1) and every axis from `axis` on is normalized together.
 * @module
 */
import type { Value } from '../../ir/graph.js';
import { reduceSum, reshape } from '../ops.js';
import type { GradContext, GradRule } from '../types.js';

/**
 * Applies `fn(y, dy, sum)` with `sum(t)` = ReduceSum over the normalized axes (keepdims). Before opset 13 an input of
 * unknown rank is flattened to 2-D around the computation and reshaped back.
 */
function normalized(ctx: GradContext, fn: (y: Value, dy: Value, sum: (t: Value) => Value) => Value): Value | undefined {
  const [dy] = ctx.dY;
  if (!dy) return undefined;
  const y = ctx.y(0);
  if (ctx.opset >= 13) {
    const axis = ctx.node.attrInt('axis', -1);
    return fn(y, dy, (t) => reduceSum(ctx, t, [axis], true));
  }
  const axis = ctx.node.attrInt('axis', 1);
  const shape = ctx.shape(ctx.x(0));
  if (shape) {
    const start = axis < 0 ? axis + shape.length : axis;
    const axes = Array.from({ length: shape.length - start }, (_, i) => start + i);
    return fn(y, dy, (t) => reduceSum(ctx, t, axes, true));
  }
  const { b } = ctx;
  const flat = (v: Value): Value => b.op('Flatten', [v], { axis });
  const out = fn(flat(y), flat(dy), (t) => reduceSum(ctx, t, [1], true));
  return reshape(ctx, out, b.op('Shape', [ctx.x(0)]));
}

/** Softmax: dX = y·(dY − Σ dY·y). */
export const softmax: GradRule = (ctx) => [
  normalized(ctx, (y, dy, sum) => ctx.b.op('Mul', [y, ctx.b.op('Sub', [dy, sum(ctx.b.op('Mul', [dy, y]))])])),
];

/** LogSoftmax: dX = dY − exp(y)·Σ dY. */
export const logSoftmax: GradRule = (ctx) => [
  normalized(ctx, (y, dy, sum) => ctx.b.op('Sub', [dy, ctx.b.op('Mul', [ctx.b.op('Exp', [y]), sum(dy)])])),
];
