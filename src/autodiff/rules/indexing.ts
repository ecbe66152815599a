/**
 * Gradient rules of ops that select or join parts of tensors: Concat ↔ Split, Slice and Pad (each other's inverse up
 * to zeros), Gather / GatherElements (scatter-add). Indices, starts, ends, pads and axes are stop-gradient edges.
 * @module
 */
import { dtypeCode } from '../../ir/dtype.js';
import type { Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { constNumbers, i64, padZeros, reshape, split, transpose, unsqueeze, zerosOfShape } from '../ops.js';
import type { GradContext, GradRule } from '../types.js';

function axisOf(ctx: GradContext, v: Value, fallback?: number): number {
  const axis = fallback === undefined ? ctx.node.attrInt('axis') : ctx.node.attrInt('axis', fallback);
  if (axis === undefined) ctx.fail(`attribute 'axis' is required.`);
  return axis < 0 ? axis + ctx.rank(v) : axis;
}

/** Concat: dY split back into the inputs' sizes along the axis (static sizes, or sizes from Shape at opset 13+). */
export const concat: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const inputs = ctx.node.inputs.map((_, i) => ctx.x(i));
  const axis = axisOf(ctx, inputs[0]!);
  const sizes = inputs.map((v) => ctx.shape(v)?.[axis]);
  let sizeList: readonly number[] | Value;
  if (sizes.every((d): d is number => typeof d === 'number')) sizeList = sizes;
  else {
    if (ctx.opset < 13) ctx.fail(`the inputs' sizes along axis ${axis} are unknown; splitting by run-time sizes needs opset 13+.`);
    const { b } = ctx;
    const [from, to] = [i64(ctx, [axis], 'start'), i64(ctx, [axis + 1], 'end')];
    sizeList = b.op('Concat', inputs.map((v) => b.op('Slice', [b.op('Shape', [v]), from, to])), { axis: 0 });
  }
  const parts = inputs.length === 1 ? [dy] : split(ctx, dy, axis, sizeList, inputs.length);
  return parts.map((p, i) => (ctx.needs[i] ? p : undefined));
};

/** Split: the outputs' gradients concatenated (zeros for outputs no gradient reached). */
export const splitBack: GradRule = (ctx) => {
  if (ctx.dY.every((g) => !g)) return [];
  const x = ctx.x(0);
  const axis = axisOf(ctx, x, 0);
  const dtype = ctx.dtype(x);
  const parts = ctx.node.outputs.map((v, i) => ctx.dY[i] ?? zerosOfShape(ctx, ctx.b.op('Shape', [v!]), dtype));
  return [parts.length === 1 ? parts[0] : ctx.b.op('Concat', parts, { axis })];
};

/** The slice parameters as numbers when they are constants (attributes before opset 10, inputs after). */
function sliceParams(ctx: GradContext): { starts: number[]; ends: number[]; axes: number[]; steps: number[] } | undefined {
  const { node } = ctx;
  const starts = ctx.opset < 10 ? node.attrInts('starts')?.slice() : constNumbers(node.input(1));
  const ends = ctx.opset < 10 ? node.attrInts('ends')?.slice() : constNumbers(node.input(2));
  if (!starts || !ends) return undefined;
  const axesIn = ctx.opset < 10 ? node.attrInts('axes')?.slice() : node.input(3) ? constNumbers(node.input(3)) : undefined;
  const hasAxes = ctx.opset < 10 ? node.attributes.has('axes') : node.input(3) !== undefined;
  if (hasAxes && !axesIn) return undefined;
  const axes = axesIn ?? starts.map((_, i) => i);
  const steps = node.input(4) ? constNumbers(node.input(4)) : starts.map(() => 1);
  return steps ? { starts, ends, axes, steps } : undefined;
}

/**
 * Slice: with constant parameters, unit steps and known dims, dX = Pad(dY) with zeros where the slice cut. Otherwise
 * (run-time parameters, other steps) the element indices of X are sliced the same way and dY is scattered onto them.
 */
export const sliceBack: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const x = ctx.x(0);
  const dims = ctx.shape(x);
  const p = sliceParams(ctx);
  if (p && dims && p.steps.every((s) => s === 1)) {
    const rank = dims.length;
    const pads = new Array<number>(2 * rank).fill(0);
    const ok = p.axes.every((a0, i) => {
      const a = a0 < 0 ? a0 + rank : a0;
      const d = dims[a];
      if (typeof d !== 'number') return false;
      const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      const [s, e] = [clamp(p.starts[i]!), clamp(p.ends[i]!)];
      pads[a] = s;
      pads[a + rank] = d - Math.max(s, e);
      return true;
    });
    if (ok) return [pads.every((v) => v === 0) ? dy : padZeros(ctx, dy, pads)];
  }
  if (ctx.opset < 11) ctx.fail('the slice is only known at run time; its gradient needs opset 11+ (Range, ScatterElements).');
  const { b } = ctx;
  const shape = b.op('Shape', [x]);
  const size = b.op('Size', [x]);
  const index = reshape(ctx, b.op('Range', [b.scalar(0, 'int64'), size, b.scalar(1, 'int64')]), shape);
  const picked = b.op('Slice', [index, ...ctx.node.inputs.slice(1)]);
  const zeros = zerosOfShape(ctx, unsqueeze(ctx, size, [0]), ctx.dtype(x));
  const flat = b.op('ScatterElements', [zeros, reshape(ctx, picked, [-1]), reshape(ctx, dy, [-1])], { axis: 0 });
  return [reshape(ctx, flat, shape)];
};

/** Pad (constant mode): dX = Pad(dY) with the pads negated, which crops what was added (and zero-fills what was cut). */
export const padBack: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b, node } = ctx;
  const mode = node.attrString('mode', 'constant');
  if (mode !== 'constant') ctx.fail(`gradients of Pad are implemented for mode 'constant', found '${mode}'.`);
  if (ctx.opset < 11) return [padZeros(ctx, dy, (node.attrInts('pads') ?? []).map((v) => -v))];
  const pads = ctx.x(1);
  const known = constNumbers(pads);
  const negated = known ? i64(ctx, known.map((v) => -v), 'pads') : b.op('Neg', [pads]);
  const axes = node.input(3);
  return [b.op('Pad', axes ? [dy, negated, null, axes] : [dy, negated])];
};

/** Indices as int64 with negative entries wrapped by `dim` (a scalar int64 value). */
function wrapIndices(ctx: GradContext, indices: Value, dim: Value): Value {
  const { b } = ctx;
  const idx = ctx.dtype(indices) === 'int64' ? indices : b.op('Cast', [indices], { to: dtypeCode('int64') }, { dtype: 'int64' });
  return b.op('Where', [b.op('Less', [idx, b.scalar(0, 'int64')]), b.op('Add', [idx, dim]), idx]);
}

/**
 * Gather: dY scatter-added into zeros of X's shape. The gathered axis is moved to the front (dY's index axes likewise)
 * so one ScatterND with reduction 'add' (opset 16+) does it; before 16, a one-hot matrix product does the same sum.
 */
export const gather: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b } = ctx;
  const x = ctx.x(0), indices = ctx.x(1);
  const [r, q] = [ctx.rank(x), ctx.rank(indices)];
  const axis = axisOf(ctx, x, 0);
  const xShape = b.op('Shape', [x]);
  const dim = b.op('Gather', [xShape, b.scalar(axis, 'int64')], { axis: 0 });
  const idx = wrapIndices(ctx, indices, dim);
  // X' = X with `axis` first; dY' = dY with the index axes first: [idx..., pre..., post...].
  const xPerm = [axis, ...range(0, axis), ...range(axis + 1, r)];
  const yPerm = [...range(axis, axis + q), ...range(0, axis), ...range(axis + q, r - 1 + q)];
  const front = axis === 0 ? dy : transpose(ctx, dy, yPerm);
  const frontShape = axis === 0 ? xShape : b.op('Gather', [xShape, i64(ctx, xPerm, 'perm')], { axis: 0 });
  const dtype = ctx.dtype(x);
  let dX: Value;
  if (ctx.opset >= 16) {
    dX = b.op('ScatterND', [zerosOfShape(ctx, frontShape, dtype), unsqueeze(ctx, idx, [q]), front], { reduction: 'add' });
  } else {
    const flatIdx = reshape(ctx, idx, [-1]);
    const rows = reshape(ctx, front, b.op('Concat', [b.op('Shape', [flatIdx]), i64(ctx, [-1], 'rest')], { axis: 0 }));
    const values = b.initializer('onehot_values', Tensor.fromArray('float32', [2], [0, 1]));
    const hot = b.op('OneHot', [flatIdx, dim, values], { axis: -1 });
    const typed = dtype === 'float32' ? hot : b.op('Cast', [hot], { to: dtypeCode(dtype) });
    dX = reshape(ctx, b.op('MatMul', [transpose(ctx, typed, [1, 0]), rows]), frontShape);
  }
  if (axis === 0) return [dX];
  const inverse = new Array<number>(r);
  xPerm.forEach((p, i) => { inverse[p] = i; });
  return [transpose(ctx, dX, inverse)];
};

/** GatherElements: dY scatter-added at the same indices (ScatterElements with reduction 'add', opset 16+). */
export const gatherElements: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  if (ctx.opset < 16) ctx.fail('its gradient needs ScatterElements with reduction "add" (opset 16+).');
  const { b } = ctx;
  const x = ctx.x(0);
  const axis = axisOf(ctx, x, 0);
  const xShape = b.op('Shape', [x]);
  const idx = wrapIndices(ctx, ctx.x(1), b.op('Gather', [xShape, b.scalar(axis, 'int64')], { axis: 0 }));
  return [b.op('ScatterElements', [zerosOfShape(ctx, xShape, ctx.dtype(x)), idx, dy], { axis, reduction: 'add' })];
};

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
