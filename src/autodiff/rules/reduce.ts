/**
 * Gradient rules of reductions: the gradient is put back on the reduced axes (Unsqueeze when keepdims=0) and expanded
 * to the input's shape. Axes are an attribute before ReduceSum-13 / ReduceMean-18 and an optional input after.
 * @module
 */
import { dtypeCode } from '../../ir/dtype.js';
import type { Value } from '../../ir/graph.js';
import { constNumbers, isStatic, unsqueeze, type Axes } from '../ops.js';
import type { GradContext, GradRule } from '../types.js';

/** The reduced axes: numbers, a run-time value, 'all', or 'none' (empty axes with noop_with_empty_axes). */
function reducedAxes(ctx: GradContext, inputSince: number): Axes | 'all' | 'none' {
  const { node } = ctx;
  if (ctx.opset < inputSince) return node.attrInts('axes') ?? 'all';
  const v = node.input(1);
  if (!v) return node.attrInt('noop_with_empty_axes', 0) ? 'none' : 'all';
  const nums = constNumbers(v);
  if (nums && nums.length === 0) return node.attrInt('noop_with_empty_axes', 0) ? 'none' : 'all';
  return nums ?? v;
}

/** dY broadcast back over the reduced axes, times `scale(dy)` if given (before expanding, on the small tensor). */
function spread(ctx: GradContext, inputSince: number, scale?: (dy: Value, axes: Axes | 'all') => Value): Value | undefined {
  const [dy] = ctx.dY;
  if (!dy) return undefined;
  const axes = reducedAxes(ctx, inputSince);
  if (axes === 'none') return dy;
  const x = ctx.x(0);
  let g = scale ? scale(dy, axes) : dy;
  if (ctx.node.attrInt('keepdims', 1) === 0 && axes !== 'all') {
    const rank = ctx.opset < 11 ? ctx.rank(x) : 0;
    g = unsqueeze(ctx, g, Array.isArray(axes) ? axes.map((a: number) => (a < 0 ? a + rank : a)) : axes);
  }
  return ctx.b.op('Expand', [g, ctx.b.op('Shape', [x])]);
}

/** ReduceSum: dX = Expand(dY, shape(X)). */
export const reduceSum: GradRule = (ctx) => [spread(ctx, 13)];

/** ReduceMean: dX = Expand(dY / n, shape(X)), n = number of reduced elements (static when shapes are known). */
export const reduceMean: GradRule = (ctx) => [
  spread(ctx, 18, (dy, axes) => {
    const shape = ctx.shape(ctx.x(0));
    if (isStatic(shape) && (axes === 'all' || Array.isArray(axes))) {
      const picked = axes === 'all' ? shape : (axes as readonly number[]).map((a) => shape[a < 0 ? a + shape.length : a]!);
      return ctx.b.op('Mul', [dy, ctx.scalar(1 / picked.reduce((p, d) => p * d, 1), dy)]);
    }
    const { b } = ctx;
    const to = dtypeCode(ctx.dtype(dy));
    const inner = b.op('Cast', [b.op('Size', [ctx.x(0)])], { to });
    const outer = b.op('Cast', [b.op('Size', [ctx.y(0)])], { to });
    return b.op('Div', [b.op('Mul', [dy, outer]), inner]);
  }),
];
