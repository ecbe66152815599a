/**
 * Gradient rules of pooling: MaxPool routes dY to the arg-max cells its Indices output names (scatter-add), the
 * average pools spread dY evenly back over each window (ConvTranspose with a ones kernel, one group per channel),
 * GlobalMaxPool routes it to the cells equal to the maximum.
 * @module
 */
import { dtypeCode } from '../../ir/dtype.js';
import type { Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { i64, reduceSum, reshape, unsqueeze, zerosOfShape } from '../ops.js';
import type { GradContext, GradRule } from '../types.js';
import { readWindow, scatterAttrs, spatialDims, type Window } from './conv-window.js';

function kernelOf(ctx: GradContext): number[] {
  const k = ctx.node.attrInts('kernel_shape');
  if (!k) ctx.fail(`attribute 'kernel_shape' is required.`);
  return [...k];
}

/** True when no input cell lies in two windows (every stride at least the dilated kernel's extent). */
function disjoint(ctx: GradContext, kernel: readonly number[]): boolean {
  const strides = ctx.node.attrInts('strides') ?? kernel.map(() => 1);
  const dilations = ctx.node.attrInts('dilations') ?? kernel.map(() => 1);
  return kernel.every((k, i) => strides[i]! >= (k - 1) * dilations[i]! + 1);
}

/**
 * MaxPool: the forward node is asked for its Indices output (flat positions in X, batch and channel included), and
 * dY is scatter-added at those positions into zeros of X's size: ScatterElements with reduction 'add' (opset 16+).
 * Before opset 16 only disjoint windows (stride ≥ dilated kernel, e.g. 2x2 stride 2) work, with a plain
 * ScatterElements (opset 11+); overlapping windows fail naming the opset needed. Shapes may be symbolic.
 *
 * @example
 * ```ts
 * // MaxPool 3x3 stride 2 (overlapping) at opset 13 -> AUTODIFF_UNSUPPORTED: '... needs opset 16+ ...'
 * ```
 */
export const maxPool: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b, node } = ctx;
  if (node.attrInt('storage_order', 0) !== 0) ctx.fail('storage_order=1 (column-major Indices) is not supported; use storage_order=0.');
  const overlap = !disjoint(ctx, kernelOf(ctx));
  if (ctx.opset < 16 && (overlap || ctx.opset < 11)) {
    ctx.fail(`its gradient scatter-adds into overlapping windows, which needs ScatterElements with reduction 'add' (opset 16+); ` +
      `${ctx.opset < 11 ? 'even disjoint windows need opset 11+' : 'disjoint windows (stride ≥ dilated kernel) work from opset 11'}. Convert the model to opset 16+.`);
  }
  const x = ctx.x(0);
  const size = unsqueeze(ctx, b.op('Size', [x]), [0]);
  const zeros = zerosOfShape(ctx, size, ctx.dtype(x));
  const idx = reshape(ctx, ctx.y(1), [-1]);
  const flat = b.op('ScatterElements', [zeros, idx, reshape(ctx, dy, [-1])], { axis: 0, reduction: ctx.opset >= 16 ? 'add' : undefined });
  return [reshape(ctx, flat, b.op('Shape', [x]))];
};

function staticChannels(ctx: GradContext, x: Value): number {
  const c = ctx.shape(x)?.[1];
  if (typeof c !== 'number') ctx.fail(`the channel dim of input '${x.name}' must be static.`);
  return c;
}

/** Number of input cells (padding excluded) each output window covers, per output cell, row-major. */
function cellsCovered(w: Window): number[] {
  const perAxis = w.kernel.map((k, i) => Array.from({ length: w.output[i]! }, (_, o) => {
    let n = 0;
    for (let j = 0; j < k; j++) {
      const p = o * w.strides[i]! - w.begin[i]! + j * w.dilations[i]!;
      if (p >= 0 && p < w.input[i]!) n++;
    }
    return n;
  }));
  let out = [1];
  for (const counts of perAxis) out = out.flatMap((a) => counts.map((c) => a * c));
  return out;
}

/**
 * AveragePool (pads, auto_pad, strides, ceil_mode, count_include_pad, dilations): Y = Σ window / divisor, so
 * dX = ConvTranspose(dY / divisor, ones[C, 1, ...K], group = C). The divisor is taken from the runtime itself rather
 * than re-derived: AveragePool (same attributes) of a ones tensor is covered/divisor, divided by the statically known
 * number of covered cells (constant-folded when the session loads), so count_include_pad and ceil_mode windows match
 * whatever the runtime does.
 */
export const averagePool: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b, node } = ctx;
  const x = ctx.x(0);
  const dtype = ctx.dtype(x);
  const channels = staticChannels(ctx, x);
  const kernel = kernelOf(ctx);
  const w = readWindow(ctx, kernel, spatialDims(ctx, x, 'input'), spatialDims(ctx, ctx.y(0), 'output'));
  const ones = b.op('ConstantOfShape', [i64(ctx, [1, 1, ...w.input], 'shape')], { value: Tensor.fromArray(dtype, [1], [1]) });
  const attrs = Object.fromEntries([...node.attributes].map(([k, a]) => [k, a]));
  const ratio = b.op('AveragePool', [ones], attrs);
  const covered = b.initializer('covered', Tensor.fromArray(dtype, [1, 1, ...w.output], cellsCovered(w).map((c) => Math.max(c, 1))));
  const scaled = b.op('Mul', [dy, b.op('Div', [ratio, covered])]);
  const kernelOnes = b.initializer('ones', Tensor.fromArray(dtype, [channels, 1, ...kernel], new Array<number>(channels * kernel.reduce((p, k) => p * k, 1)).fill(1)));
  return [b.op('ConvTranspose', [scaled, kernelOnes], { group: channels, kernel_shape: kernel, ...scatterAttrs(w) })];
};

/** Spatial axes [2, rank) of the node's input. */
function spatialAxes(ctx: GradContext): number[] {
  return Array.from({ length: ctx.rank(ctx.x(0)) - 2 }, (_, i) => i + 2);
}

/** GlobalAveragePool: dX = Expand(dY / (H·W·…), shape(X)); the count is static when the spatial dims are known. */
export const globalAveragePool: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b } = ctx;
  const x = ctx.x(0);
  const dims = ctx.shape(x)?.slice(2);
  let scaled: Value;
  if (dims?.every((d): d is number => typeof d === 'number')) {
    scaled = b.op('Mul', [dy, ctx.scalar(1 / dims.reduce((p, d) => p * d, 1), dy)]);
  } else {
    const to = dtypeCode(ctx.dtype(dy));
    scaled = b.op('Div', [b.op('Mul', [dy, b.op('Cast', [b.op('Size', [ctx.y(0)])], { to })]), b.op('Cast', [b.op('Size', [x])], { to })]);
  }
  return [b.op('Expand', [scaled, b.op('Shape', [x])])];
};

/** GlobalMaxPool: dY goes to the cells equal to their channel's maximum, split evenly between ties. */
export const globalMaxPool: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b } = ctx;
  const x = ctx.x(0);
  const mask = b.op('Cast', [b.op('Equal', [x, ctx.y(0)])], { to: dtypeCode(ctx.dtype(x)) });
  const share = b.op('Div', [dy, reduceSum(ctx, mask, spatialAxes(ctx), true)]);
  return [b.op('Mul', [mask, share])];
};
