/**
 * Gradient rules of activation functions. Where a derivative is a function of the output (Sigmoid, Tanh, Relu) the
 * rule reads the output, so the input can be freed early.
 * @module
 */
import type { Value } from '../../ir/graph.js';
import type { GradContext, GradRule } from '../types.js';

/** dY where y > 0, else 0. */
export const relu: GradRule = ({ b, dY: [dy], y, scalar }) => {
  if (!dy) return [];
  const zero = scalar(0, dy);
  return [b.op('Where', [b.op('Greater', [y(0), zero]), dy, zero])];
};

/** dY where x > 0, else α·dY. */
export const leakyRelu: GradRule = ({ b, node, dY: [dy], x, scalar }) => {
  if (!dy) return [];
  const alpha = node.attrFloat('alpha', 0.01);
  const positive = b.op('Greater', [x(0), scalar(0, dy)]);
  return [b.op('Where', [positive, dy, b.op('Mul', [dy, scalar(alpha, dy)])])];
};

/** dY·y·(1−y). */
export const sigmoid: GradRule = ({ b, dY: [dy], y, scalar }) => {
  if (!dy) return [];
  const out = y(0);
  return [b.op('Mul', [dy, b.op('Mul', [out, b.op('Sub', [scalar(1, dy), out])])])];
};

/** dY·(1−y²). */
export const tanh: GradRule = ({ b, dY: [dy], y, scalar }) => {
  if (!dy) return [];
  const out = y(0);
  return [b.op('Mul', [dy, b.op('Sub', [scalar(1, dy), b.op('Mul', [out, out])])])];
};

/**
 * dY where min ≤ x ≤ max (inclusive, as PyTorch's clamp), else 0. Bounds are attributes before opset 11 and optional
 * inputs from 11; they are stop-gradient edges.
 */
export const clip: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b, node } = ctx;
  const x = ctx.x(0);
  const bound = (i: number, name: string): Value | undefined => {
    if (ctx.opset >= 11) return node.input(i);
    const a = node.attributes.get(name);
    return a ? ctx.scalar(node.attrFloat(name, 0), x) : undefined;
  };
  const lo = bound(1, 'min');
  const hi = bound(2, 'max');
  const out: Value[] = [];
  if (lo) out.push(b.op('Less', [x, lo]));
  if (hi) out.push(b.op('Greater', [x, hi]));
  if (out.length === 0) return [dy];
  const clipped = out.length === 2 ? b.op('Or', [out[0]!, out[1]!]) : out[0]!;
  return [b.op('Where', [clipped, ctx.scalar(0, dy), dy])];
};

/** d erf(x) = dY·(2/√π)·exp(−x²). */
export const erf: GradRule = ({ b, dY: [dy], x, scalar }) => {
  if (!dy) return [];
  const v = x(0);
  const bell = b.op('Exp', [b.op('Neg', [b.op('Mul', [v, v])])]);
  return [b.op('Mul', [dy, b.op('Mul', [bell, scalar(2 / Math.sqrt(Math.PI), dy)])])];
};

/** Φ(x) + x·φ(x): the slope of the exact (erf) GELU. */
function geluSlope(ctx: GradContext, v: Value, like: Value): Value {
  const { b } = ctx;
  const k = (c: number): Value => ctx.scalar(c, like);
  const cdf = b.op('Mul', [b.op('Add', [b.op('Erf', [b.op('Mul', [v, k(Math.SQRT1_2)])]), k(1)]), k(0.5)]);
  const pdf = b.op('Mul', [b.op('Exp', [b.op('Mul', [b.op('Mul', [v, v]), k(-0.5)])]), k(1 / Math.sqrt(2 * Math.PI))]);
  return b.op('Add', [cdf, b.op('Mul', [v, pdf])]);
}

/** Slope of the tanh GELU: 0.5(1+t) + 0.5·x·(1−t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(√(2/π)(x + 0.044715x³)). */
function geluTanhSlope(ctx: GradContext, v: Value, like: Value): Value {
  const { b } = ctx;
  const k = (c: number): Value => ctx.scalar(c, like);
  const c = Math.sqrt(2 / Math.PI);
  const x2 = b.op('Mul', [v, v]);
  const inner = b.op('Mul', [b.op('Add', [v, b.op('Mul', [b.op('Mul', [x2, v]), k(0.044715)])]), k(c)]);
  const t = b.op('Tanh', [inner]);
  const left = b.op('Mul', [b.op('Add', [t, k(1)]), k(0.5)]);
  const dInner = b.op('Mul', [b.op('Add', [b.op('Mul', [x2, k(3 * 0.044715)]), k(1)]), k(c)]);
  const sech2 = b.op('Sub', [k(1), b.op('Mul', [t, t])]);
  const right = b.op('Mul', [b.op('Mul', [b.op('Mul', [v, k(0.5)]), sech2]), dInner]);
  return b.op('Add', [left, right]);
}

/** ai.onnx Gelu (opset 20; `approximate` 'none' or 'tanh') and com.microsoft Gelu (exact). */
export const gelu: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const approx = ctx.node.domain === 'com.microsoft' ? 'none' : ctx.node.attrString('approximate', 'none');
  if (approx !== 'none' && approx !== 'tanh') ctx.fail(`unknown approximate '${approx}' (expected 'none' or 'tanh').`);
  const slope = approx === 'tanh' ? geluTanhSlope(ctx, ctx.x(0), dy) : geluSlope(ctx, ctx.x(0), dy);
  return [ctx.b.op('Mul', [dy, slope])];
};

/** com.microsoft FastGelu(x, bias?) = tanh-GELU(x + bias); the bias gradient is un-broadcast. */
export const fastGelu: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const bias = ctx.node.input(1);
  const pre = bias ? ctx.b.op('Add', [ctx.x(0), bias]) : ctx.x(0);
  const g = ctx.b.op('Mul', [dy, geluTanhSlope(ctx, pre, dy)]);
  return [ctx.needs[0] ? g : undefined, bias && ctx.needs[1] ? ctx.unbroadcast(g, bias) : undefined];
};
