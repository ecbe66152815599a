/**
 * Gradient rules of pooling: MaxPool routes dY to the arg-max cells its Indices output names (MaxUnpool or scatter-add), the
 * average pools spread dY evenly back over each window (ConvTranspose with a ones kernel, one group per channel),
 * GlobalMaxPool routes it to the cells equal to the maximum.
 * @module
 */
import { dtypeCode } from '../../ir/dtype.js';
import type { Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { i64, isStatic, reduceSum, reshape, unsqueeze, zerosOfShape } from '../ops.js';
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
 * X's shape without reading X, so that X can be freed after the forward pass (in LeNet-5 the first conv's output is
 * the largest activation, and MaxPool is its only consumer): a constant when static, else dY's batch and channel dims
 * with X's static spatial dims, else `Shape(X)`.
 */
function inputShape(ctx: GradContext, x: Value, dy: Value): Value {
  const { b } = ctx;
  const dims = ctx.shape(x);
  if (isStatic(dims)) return i64(ctx, dims, 'x_shape');
  const spatial = dims?.slice(2);
  if (isStatic(spatial)) {
    const nc = b.op('Slice', [b.op('Shape', [dy]), i64(ctx, [0], 'starts'), i64(ctx, [2], 'ends')]);
    return b.op('Concat', [nc, i64(ctx, spatial, 'spatial')], { axis: 0 });
  }
  return b.op('Shape', [x]);
}

/**
 * onnxruntime's MaxUnpool refuses an output shape smaller than `(out − 1)·stride + kernel − pads` per axis, which
 * padded and ceil_mode windows exceed (the indices are flat, so pads change nothing else): the end pads that make the
 * input's size acceptable, when each stays below the kernel (as ONNX requires of pads); undefined when the spatial
 * dims are unknown and the pooling pads or rounds up, or when a pad would be too large (the scatter is used then).
 */
function unpoolEndPads(ctx: GradContext, kernel: readonly number[], strides: readonly number[]): number[] | undefined {
  const input = ctx.shape(ctx.x(0))?.slice(2);
  const output = ctx.shape(ctx.y(0))?.slice(2);
  if (!isStatic(input) || !isStatic(output)) {
    const { node } = ctx;
    const plain = node.attrInt('ceil_mode', 0) === 0 && ['NOTSET', 'VALID'].includes(node.attrString('auto_pad', 'NOTSET')) &&
      (node.attrInts('pads') ?? []).every((p) => p === 0);
    return plain ? kernel.map(() => 0) : undefined;
  }
  const pads = kernel.map((k, i) => Math.max(0, (output[i]! - 1) * strides[i]! + k - input[i]!));
  return pads.every((p, i) => p < kernel[i]!) ? pads : undefined;
}

/**
 * MaxPool: the forward node is asked for its Indices output (flat positions in X, batch and channel included), and
 * dY goes to those positions. Disjoint windows (every stride at least the dilated kernel, e.g. LeNet's 2x2 stride 2)
 * name each input cell at most once, so float32 uses MaxUnpool, which writes dY into one zeroed buffer of X's size.
 * Otherwise (overlapping windows, or float64, for which onnxruntime has no MaxUnpool kernel) dY is scatter-added
 * into zeros of X's size: ScatterElements with reduction 'add' (opset 16+). Before opset 16 only disjoint windows
 * work, with a plain ScatterElements (opset 11+); overlapping windows fail naming the opset needed. Shapes may be
 * symbolic; X itself is read only when its spatial dims are.
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
  const kernel = kernelOf(ctx);
  const overlap = !disjoint(ctx, kernel);
  if (ctx.opset < 16 && (overlap || ctx.opset < 11)) {
    ctx.fail(`its gradient scatter-adds into overlapping windows, which needs ScatterElements with reduction 'add' (opset 16+); ` +
      `${ctx.opset < 11 ? 'even disjoint windows need opset 11+' : 'disjoint windows (stride ≥ dilated kernel) work from opset 11'}. Convert the model to opset 16+.`);
  }
  const x = ctx.x(0);
  const shape = inputShape(ctx, x, dy);
  const strides = node.attrInts('strides') ?? kernel.map(() => 1);
  const endPads = overlap || ctx.dtype(x) !== 'float32' ? undefined : unpoolEndPads(ctx, kernel, strides);
  if (endPads) {
    return [b.op('MaxUnpool', [dy, ctx.y(1), shape], { kernel_shape: kernel, strides: [...strides], pads: [...kernel.map(() => 0), ...endPads] })];
  }
  const zeros = reshape(ctx, zerosOfShape(ctx, shape, ctx.dtype(x)), [-1]);
  const idx = reshape(ctx, ctx.y(1), [-1]);
  const flat = b.op('ScatterElements', [zeros, idx, reshape(ctx, dy, [-1])], { axis: 0, reduction: ctx.opset >= 16 ? 'add' : undefined });
  return [reshape(ctx, flat, shape)];
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
