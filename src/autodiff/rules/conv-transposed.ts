/**
 * The weight gradient of a convolution as one Conv of batch-transposed tensors (no im2col buffer), and the policy
 * that picks between it and im2col for each Conv / ConvTranspose node.
 * @module
 */
import type { Dim, Value } from '../../ir/graph.js';
import { i64, reshape, transpose } from '../ops.js';
import type { GradContext } from '../types.js';
import { im2colWeightGrad, overhang, type Window } from './conv-window.js';

/** How a weight gradient is computed: im2col + batched product, or a Conv over batch-transposed tensors. */
export type WeightGradForm = 'im2col' | 'transposed';

/** What {@link pickWeightGrad} looks at: the static sizes of one weight gradient. */
export interface WeightGradShape {
  /** Batch size; a symbolic or unknown batch counts as {@link SYMBOLIC_BATCH}. */
  readonly batch: Dim | undefined;
  /** Channels of the windowed input (Conv: X's; ConvTranspose: dY's). */
  readonly cin: number;
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  /** Spatial dims of the gradient: the number of windows per axis. */
  readonly output: readonly number[];
}

/** The batch size a symbolic batch dim is assumed to have when sizing the im2col buffer. */
export const SYMBOLIC_BATCH = 64;

/** Largest im2col buffer (bytes) the policy accepts for a stride-1 kernel of at most 9 cells: 4 MiB. */
export const IM2COL_MAX_BYTES = 4 * 2 ** 20;

/**
 * Picks the weight-gradient form of one Conv / ConvTranspose node from static shapes:
 * 1. a 1-cell kernel → `im2col`: the input itself or one strided Slice, no K-fold copy, and 7x faster than a Conv
 *    whose kernel is the whole output grid (1x1 96→24, 28², N=32: 2.5 vs 17–19 ms);
 * 2. every stride 1, at most 9 kernel cells and an im2col buffer (4·N·Cin·K·L bytes) of at most
 *    {@link IM2COL_MAX_BYTES} → `im2col`: the buffer is small and im2col 1.0–1.6x faster (resnet-small's stem, small
 *    3x3 and depthwise 3x3 convs);
 * 3. otherwise → `transposed`. It is faster for strided windows (0.5–0.8x the time) and kernels of 25+ cells
 *    (0.75–1.0x); on stride-1 3x3 kernels it takes 1.0–1.5x im2col's compute, but im2col's slices and Concat hold
 *    2·K copies of the input, page-faulted afresh on every step with the arena off (at 55 MiB, ~45 ms of kernel
 *    time: resnet-small's layer1 took 66–83 ms by im2col, 34–39 ms transposed), where the transposed form holds one
 *    copy of the input and of dY, and onnxruntime's Conv expands 1/Cin of what im2col does.
 *
 * Measured in onnxruntime-node 1.30 CPU, one thread, arena off (as training runs), medians of 31 alternated runs;
 * the table is in docs/BENCHMARKS.md ("Conv weight-gradient formulations").
 *
 * @example
 * ```ts
 * pickWeightGrad({ batch: 64, cin: 20, kernel: [5, 5], strides: [1, 1], output: [8, 8] });     // 'transposed'
 * pickWeightGrad({ batch: 'N', cin: 16, kernel: [3, 3], strides: [1, 1], output: [7, 7] });   // 'im2col'
 * ```
 */
export function pickWeightGrad(s: WeightGradShape): WeightGradForm {
  const cells = s.kernel.reduce((a, c) => a * c, 1);
  if (cells === 1) return 'im2col';
  const batch = typeof s.batch === 'number' ? s.batch : SYMBOLIC_BATCH;
  const bytes = 4 * batch * s.cin * cells * s.output.reduce((a, c) => a * c, 1);
  return s.strides.every((st) => st === 1) && cells <= 9 && bytes <= IM2COL_MAX_BYTES ? 'im2col' : 'transposed';
}

/**
 * The weight gradient R[o, c, k] = Σ_{n,p} grad[n, o, p] · input_pad[n, g·Cg + c, p·stride + k·dilation] read as a
 * convolution in which the batch is the reduced channel axis: input_padᵀ [Cg, G·N, ...] convolved (group G) with the
 * kernel gradᵀ [Cout, N, ...output], with stride = the window's dilation and dilation = its stride, gives
 * [Cg, Cout, ...kernel'] (kernel' ≥ kernel: trailing input cells no window read add rows, sliced off), transposed to
 * [Cout, Cg, ...kernel]. The pads are the Conv's own, so nothing is materialized but the two transposed copies.
 *
 * @param input [N, Cin, ...input] (Conv: X; ConvTranspose: dY)
 * @param grad [N, Cout, ...output] (Conv: dY; ConvTranspose: X)
 * @returns [Cout, Cin/group, ...kernel]
 */
export function transposedWeightGrad(ctx: GradContext, input: Value, grad: Value, w: Window, group: number, cin: number, cout: number): Value {
  const rest = w.kernel.map((_, i) => i + 2);
  const cg = cin / group;
  const xT = batchToChannels(ctx, input, group, cg, w.input, [2, 1, 0], cg);
  const gT = batchToChannels(ctx, grad, group, cout / group, w.output, [1, 2, 0], cout);
  const over = w.kernel.map((_, i) => overhang(w, i));
  const conv = ctx.b.op('Conv', [xT, gT], {
    group, kernel_shape: [...w.output], strides: [...w.dilations], dilations: [...w.strides],
    pads: [...w.begin, ...over.map((o) => Math.max(0, o))],
  });
  // Trailing cells no window read (a negative overhang of at least one dilation) make the result longer than the kernel.
  const extra = over.map((o, i) => Math.floor(Math.max(0, -o) / w.dilations[i]!));
  return transpose(ctx, extra.some((e) => e > 0) ? sliceHead(ctx, conv, rest, w.kernel) : conv, [1, 0, ...rest]);
}

/**
 * [N, G·k, ...dims] → [lead, G·N or N, ...dims]: split the channels into (G, k), move N behind the axes `perm` puts
 * first ([k, G, N]: G·N channels for a grouped Conv's input; [G, k, N]: G·k kernels of N channels), merge the rest.
 */
function batchToChannels(ctx: GradContext, v: Value, group: number, k: number, dims: readonly number[], perm: readonly number[], lead: number): Value {
  const spatial = dims.map((_, i) => i + 2);
  if (group === 1) return transpose(ctx, v, [1, 0, ...spatial]);
  const split = transpose(ctx, reshape(ctx, v, [0, group, k, ...dims]), [...perm, ...spatial.map((a) => a + 1)]);
  return reshape(ctx, split, [lead, -1, ...dims]);
}

/** The first `sizes[i]` entries along each of `axes`. */
function sliceHead(ctx: GradContext, v: Value, axes: readonly number[], sizes: readonly number[]): Value {
  const starts = axes.map(() => 0);
  if (ctx.opset < 10) return ctx.b.op('Slice', [v], { axes: [...axes], starts, ends: [...sizes] });
  return ctx.b.op('Slice', [v, i64(ctx, starts, 'starts'), i64(ctx, sizes, 'ends'), i64(ctx, axes, 'axes')]);
}

/**
 * The weight gradient in `form`, or in the form {@link pickWeightGrad} picks for this node.
 *
 * @param input [N, Cin, ...input] (Conv: X; ConvTranspose: dY)
 * @param grad [N, Cout, ...output] (Conv: dY; ConvTranspose: X)
 * @returns [Cout, Cin/group, ...kernel]
 */
export function weightGrad(
  ctx: GradContext, input: Value, grad: Value, w: Window, group: number, cin: number, cout: number,
  form: WeightGradForm = pickWeightGrad({ batch: ctx.shape(input)?.[0], cin, kernel: w.kernel, strides: w.strides, output: w.output }),
): Value {
  switch (form) {
    case 'im2col': return im2colWeightGrad(ctx, input, grad, w, group, cin, cout);
    case 'transposed': return transposedWeightGrad(ctx, input, grad, w, group, cin, cout);
  }
}
