/**
 * Sliding-window geometry shared by the gradients of Conv, ConvTranspose and the pools: the attributes with ONNX
 * defaults and auto_pad resolved to explicit pads, the ConvTranspose that scatters an output gradient back onto the
 * input grid with exactly the input's size, and the im2col weight gradient (the other form is in conv-transposed.ts).
 * @module
 */
import type { Value } from '../../ir/graph.js';
import { i64, padZeros, reduceSum, reshape, transpose, unsqueeze } from '../ops.js';
import type { GradContext } from '../types.js';

/**
 * A resolved window over `spatial` axes: every list has one entry per spatial axis, pads are explicit (auto_pad
 * applied), and `input` / `output` are the static spatial sizes of the windowed tensor and of the result.
 */
export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly begin: readonly number[];
  readonly end: readonly number[];
  readonly input: readonly number[];
  readonly output: readonly number[];
}

/** Extent of the dilated kernel along axis `i`. */
export function span(w: Window, i: number): number {
  return (w.kernel[i]! - 1) * w.dilations[i]! + 1;
}

/** The static spatial dims of `v` (dims 2…), or a failure naming what is unknown. */
export function spatialDims(ctx: GradContext, v: Value, what: string): number[] {
  const s = ctx.shape(v);
  const dims = s?.slice(2);
  if (!s || s.length < 3 || !dims || !dims.every((d): d is number => typeof d === 'number')) {
    ctx.fail(`the spatial dims of ${what} '${v.name}' must be static (found ${s ? `[${s.join(', ')}]` : 'an unknown shape'}); fix them with inferShapes before building gradients.`);
  }
  return dims;
}

/**
 * Reads kernel/strides/dilations/pads/auto_pad of a Conv or pool node whose windows slide over `input` (spatial
 * sizes) and produce `output`. SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning (as onnxruntime).
 *
 * @example
 * ```ts
 * // Conv 5x5, pads 2, on 28x28 -> 28x28
 * const w = readWindow(ctx, [5, 5], [28, 28], [28, 28]);   // begin [2, 2], end [2, 2]
 * ```
 */
export function readWindow(ctx: GradContext, kernel: readonly number[], input: readonly number[], output: readonly number[]): Window {
  const { node } = ctx;
  const n = kernel.length;
  const ones = new Array<number>(n).fill(1);
  const strides = node.attrInts('strides') ?? ones;
  const dilations = node.attrInts('dilations') ?? ones;
  if (strides.length !== n || dilations.length !== n) ctx.fail(`strides/dilations need ${n} entries, found ${strides.length}/${dilations.length}.`);
  const autoPad = node.attrString('auto_pad', 'NOTSET');
  let begin: number[], end: number[];
  if (autoPad === 'NOTSET') {
    const pads = node.attrInts('pads') ?? new Array<number>(2 * n).fill(0);
    if (pads.length !== 2 * n) ctx.fail(`pads need ${2 * n} entries, found ${pads.length}.`);
    [begin, end] = [pads.slice(0, n), pads.slice(n)];
  } else if (autoPad === 'VALID') {
    [begin, end] = [new Array<number>(n).fill(0), new Array<number>(n).fill(0)];
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = kernel.map((k, i) => Math.max(0, (output[i]! - 1) * strides[i]! + (k - 1) * dilations[i]! + 1 - input[i]!));
    begin = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)));
    end = total.map((t, i) => t - begin[i]!);
  } else {
    ctx.fail(`auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID.`);
  }
  return { kernel, strides, dilations, begin, end, input, output };
}

/**
 * How far the windows reach past the end of the begin-padded input along axis `i`: positive = that many padded
 * cells are read (at most the end pad, or more with ceil_mode), negative = trailing input cells no window reads.
 */
export function overhang(w: Window, i: number): number {
  return (w.output[i]! - 1) * w.strides[i]! + span(w, i) - w.begin[i]! - w.input[i]!;
}

/**
 * The attributes of the ConvTranspose that maps a gradient on the output grid back onto the input grid with
 * exactly the input's size: end pads crop what the windows read past the input, output_padding restores the
 * trailing cells no window read (always fewer than the stride).
 */
export function scatterAttrs(w: Window): { strides: number[]; dilations: number[]; pads: number[]; output_padding: number[] | undefined } {
  const over = w.kernel.map((_, i) => overhang(w, i));
  const outputPadding = over.map((o) => Math.max(0, -o));
  return {
    strides: [...w.strides], dilations: [...w.dilations],
    pads: [...w.begin, ...over.map((o) => Math.max(0, o))],
    output_padding: outputPadding.some((p) => p > 0) ? outputPadding : undefined,
  };
}

/** Every kernel offset, row-major (the order of a weight's trailing kernel dims). */
function offsets(kernel: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const k of kernel) out = out.flatMap((o) => Array.from({ length: k }, (_, j) => [...o, j]));
  return out;
}

/**
 * The weight gradient of a grouped convolution by im2col: R[o, c, k] = Σ_{n,p} grad[n, o, p] · input_pad[n, g·Cg + c,
 * p·stride + k·dilation]. The input is padded, one strided Slice per kernel offset is stacked into columns
 * [N, G, Cg·K, L], and one batched product with the gradient [N, G, Og, L] (FusedMatMul transB, or MatMul of a
 * transposed copy without contrib ops) is summed over N; a 1x1 stride-1 kernel skips the slices. The slices and their
 * Concat hold 2·K copies of the input's windows, so `pickWeightGrad` (conv-transposed.ts) uses this form only for
 * 1-cell kernels and small stride-1 buffers, where it is the fastest.
 *
 * @param input [N, Cin, ...input] (Conv: X; ConvTranspose: dY)
 * @param grad [N, Cout, ...output] (Conv: dY; ConvTranspose: X)
 * @returns [Cout, Cin/group, ...kernel]
 */
export function im2colWeightGrad(ctx: GradContext, input: Value, grad: Value, w: Window, group: number, cin: number, cout: number): Value {
  const { b } = ctx;
  if (ctx.opset < 10) ctx.fail('its weight gradient slices with steps, which needs opset 10+.');
  const n = w.kernel.length;
  const axes = Array.from({ length: n }, (_, i) => i + 2);
  const padEnd = w.kernel.map((_, i) => Math.max(0, overhang(w, i)));
  const padded = [...w.begin, ...padEnd].some((p) => p > 0) ? padZeros(ctx, input, [0, 0, ...w.begin, 0, 0, ...padEnd]) : input;
  const kernelSize = w.kernel.reduce((a, c) => a * c, 1);
  const cg = cin / group;
  let cols: Value;
  if (kernelSize === 1 && padded === input && w.output.every((o, i) => o === w.input[i])) {
    cols = padded;
  } else {
    const slices = offsets(w.kernel).map((k) => {
      const starts = k.map((j, i) => j * w.dilations[i]!);
      const ends = starts.map((s, i) => s + (w.output[i]! - 1) * w.strides[i]! + 1);
      const s = b.op('Slice', [padded, i64(ctx, starts, 'starts'), i64(ctx, ends, 'ends'), i64(ctx, axes, 'axes'), i64(ctx, w.strides, 'steps')]);
      return unsqueeze(ctx, s, [2]);
    });
    cols = slices.length === 1 ? slices[0]! : b.op('Concat', slices, { axis: 2 });
  }
  const colMat = reshape(ctx, cols, [0, group, cg * kernelSize, -1]);
  const gradMat = reshape(ctx, grad, [0, group, cout / group, -1]);
  const prod = ctx.contribOps
    ? b.op('FusedMatMul', [gradMat, colMat], { transA: 0, transB: 1 }, { domain: 'com.microsoft' })
    : b.op('MatMul', [gradMat, transpose(ctx, colMat, [0, 1, 3, 2])]);
  return reshape(ctx, reduceSum(ctx, prod, [0], false), [cout, cg, ...w.kernel]);
}
