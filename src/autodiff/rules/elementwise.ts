/**
 * Gradient rules of elementwise arithmetic. Broadcasting operands are reduced back by `ctx.unbroadcast`.
 * @module
 */
import { dtypeCode } from '../../ir/dtype.js';
import type { Value } from '../../ir/graph.js';
import type { GradContext, GradRule } from '../types.js';

/** For each input that needs a gradient, `fn(i)` un-broadcast to that input's shape. */
function each(ctx: GradContext, fn: (i: number) => Value | undefined): (Value | undefined)[] {
  return ctx.node.inputs.map((_, i) => {
    if (!ctx.needs[i]) return undefined;
    const g = fn(i);
    return g && ctx.unbroadcast(g, ctx.x(i));
  });
}

/** d(a+b) = (dY, dY); also Sum (variadic). */
export const add: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  return dy ? each(ctx, () => dy) : [];
};

/** d(a−b) = (dY, −dY). */
export const sub: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  return dy ? each(ctx, (i) => (i === 0 ? dy : ctx.b.op('Neg', [dy]))) : [];
};

/** d(a·b) = (dY·b, dY·a). */
export const mul: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  return dy ? each(ctx, (i) => ctx.b.op('Mul', [dy, ctx.x(1 - i)])) : [];
};

/** d(a/b) = (dY/b, −dY·y/b) with y = a/b. */
export const div: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b } = ctx;
  const quot = b.op('Div', [dy, ctx.x(1)]);
  return each(ctx, (i) => (i === 0 ? quot : b.op('Neg', [b.op('Mul', [quot, ctx.y(0)])])));
};

/** Mean (variadic): dY/n to every input. */
export const mean: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const share = ctx.b.op('Mul', [dy, ctx.scalar(1 / ctx.node.inputs.length, dy)]);
  return each(ctx, () => share);
};

/** d(−x) = −dY. */
export const neg: GradRule = ({ b, dY: [dy] }) => [dy && b.op('Neg', [dy])];

/** d(aᵉ)/da = e·aᵉ⁻¹ (the exponent is a stop-gradient edge; an integer exponent is cast to the base's type). */
export const pow: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b } = ctx;
  const base = ctx.x(0);
  let e = ctx.x(1);
  const dtype = ctx.dtype(base);
  if (ctx.dtype(e) !== dtype) e = b.op('Cast', [e], { to: dtypeCode(dtype) }, { dtype });
  const slope = b.op('Mul', [e, b.op('Pow', [base, b.op('Sub', [e, ctx.scalar(1, e)])])]);
  return [ctx.unbroadcast(b.op('Mul', [dy, slope]), base)];
};

/** d√x = dY / (2·y). */
export const sqrt: GradRule = ({ b, dY: [dy], y, scalar }) => [dy && b.op('Div', [b.op('Mul', [dy, scalar(0.5, dy)]), y(0)])];

/** d eˣ = dY·y. */
export const exp: GradRule = ({ b, dY: [dy], y }) => [dy && b.op('Mul', [dy, y(0)])];

/** d ln x = dY / x. */
export const log: GradRule = ({ b, dY: [dy], x }) => [dy && b.op('Div', [dy, x(0)])];

/** d|x| = dY·sign(x). */
export const abs: GradRule = ({ b, dY: [dy], x }) => [dy && b.op('Mul', [dy, b.op('Sign', [x(0)])])];

/** Piecewise-constant ops (Floor, Ceil, Round, Sign): zero gradient almost everywhere, so none flows. */
export const none: GradRule = () => [];

/**
 * Max/Min of one or two inputs: the gradient goes to the input that was selected; ties go to the first input.
 * `Less` / `Greater` pick the second input strictly, so no float Equal (opset 11+) is needed.
 */
function extremum(secondWins: 'Less' | 'Greater'): GradRule {
  return (ctx) => {
    const [dy] = ctx.dY;
    if (!dy) return [];
    if (ctx.node.inputs.length === 1) return [dy];
    if (ctx.node.inputs.length !== 2) ctx.fail(`gradients of ${ctx.node.opType} are implemented for 1 or 2 inputs, found ${ctx.node.inputs.length}.`);
    const { b } = ctx;
    const second = b.op(secondWins, [ctx.x(0), ctx.x(1)]);
    const zero = ctx.scalar(0, dy);
    return each(ctx, (i) => (i === 0 ? b.op('Where', [second, zero, dy]) : b.op('Where', [second, dy, zero])));
  };
}

/** Max: the second input wins where a < b. */
export const max = extremum('Less');
/** Min: the second input wins where a > b. */
export const min = extremum('Greater');

/** Where(c, x, z): dY flows to x where c holds and to z elsewhere; the condition is a stop-gradient edge. */
export const where: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b } = ctx;
  const cond = ctx.x(0);
  const zero = ctx.scalar(0, dy);
  return each(ctx, (i) => {
    if (i === 0) return undefined;
    return b.op('Where', i === 1 ? [cond, dy, zero] : [cond, zero, dy]);
  });
};
