/**
 * Gradient rules of convolutions (1-D, 2-D, 3-D; groups, depthwise, strides, dilations, pads, auto_pad). A Conv and
 * the ConvTranspose with the same weight are each other's adjoint, so each op's input gradient is the other op, and
 * both weight gradients are the same computation with the roles of input and gradient swapped (a Conv of
 * batch-transposed tensors or an im2col product, picked per node). Spatial dims must be static (the batch dim may be
 * symbolic).
 * @module
 */
import type { Value } from '../../ir/graph.js';
import { reduceSum } from '../ops.js';
import type { GradContext, GradRule } from '../types.js';
import { pickWeightGrad, weightGrad, type WeightGradForm } from './conv-transposed.js';
import { overhang, readWindow, scatterAttrs, span, spatialDims, type Window } from './conv-window.js';

/** The static [dim0, dim1] of a weight and its kernel dims (from kernel_shape when given). */
function weightDims(ctx: GradContext, w: Value): { d0: number; d1: number; kernel: number[] } {
  const s = ctx.shape(w);
  const [d0, d1] = [s?.[0], s?.[1]];
  const kernel = ctx.node.attrInts('kernel_shape')?.slice() ?? s?.slice(2);
  if (typeof d0 !== 'number' || typeof d1 !== 'number' || !kernel?.every((k): k is number => typeof k === 'number')) {
    ctx.fail(`the shape of weight '${w.name}' must be static, found ${s ? `[${s.join(', ')}]` : 'an unknown shape'}.`);
  }
  return { d0, d1, kernel };
}

/** dB of Conv / ConvTranspose: dY summed over batch and spatial axes. */
function biasGrad(ctx: GradContext, dy: Value): Value | undefined {
  if (!ctx.node.input(2) || !ctx.needs[2]) return undefined;
  const rank = ctx.rank(ctx.y(0));
  return reduceSum(ctx, dy, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)], false);
}

/**
 * Conv: Y = X ⋆ W + B with W [M, C/G, ...K].
 * - dX = ConvTranspose(dY, W) with the same group, strides, dilations and begin pads; the end pads and
 *   output_padding are recomputed so the result has exactly X's spatial size (rows no window read get zeros).
 * - dW = a Conv of the batch-transposed X and dY, or im2col(X) product with dY: `form`, or per node by
 *   {@link pickWeightGrad} when omitted (see {@link weightGrad}).
 * - dB = ReduceSum(dY) over N and the spatial axes.
 *
 * @example
 * ```ts
 * // the table's rule is convGrad(); a custom row pins one weight-gradient form for every Conv of a model
 * const rules = [{ domain: '', opType: 'Conv', since: 1, rule: convGrad('im2col') }];
 * buildGradientGraph(model, { loss: 'loss', wrt: ['conv1/weight', 'conv1/bias'], rules });
 * ```
 */
export function convGrad(form?: WeightGradForm): GradRule {
  return (ctx) => {
    const [dy] = ctx.dY;
    if (!dy) return [];
    const x = ctx.x(0), w = ctx.x(1);
    const group = ctx.node.attrInt('group', 1);
    const { d0: m, d1: cg, kernel } = weightDims(ctx, w);
    const win = readWindow(ctx, kernel, spatialDims(ctx, x, 'input'), spatialDims(ctx, ctx.y(0), 'output'));
    const dX = ctx.needs[0] ? ctx.b.op('ConvTranspose', [dy, w], { group, kernel_shape: kernel, ...scatterAttrs(win) }) : undefined;
    const dW = ctx.needs[1] ? weightGrad(ctx, x, dy, win, group, cg * group, m, form) : undefined;
    return [dX, dW, biasGrad(ctx, dy)];
  };
}

/** The Conv rule of the built-in table: {@link convGrad} with the per-node policy. */
export const conv: GradRule = convGrad();

/** Begin/end pads of a ConvTranspose; with output_shape or SAME_*, from the total padding the output size implies. */
function transposePads(ctx: GradContext, kernel: readonly number[], input: readonly number[], output: readonly number[]): { begin: number[]; end: number[] } {
  const { node } = ctx;
  const n = kernel.length;
  const autoPad = node.attrString('auto_pad', 'NOTSET');
  const zeros = new Array<number>(n).fill(0);
  if (autoPad === 'VALID') return { begin: zeros, end: [...zeros] };
  if (autoPad === 'NOTSET' && !node.attributes.has('output_shape')) {
    const pads = node.attrInts('pads') ?? new Array<number>(2 * n).fill(0);
    if (pads.length !== 2 * n) ctx.fail(`pads need ${2 * n} entries, found ${pads.length}.`);
    return { begin: pads.slice(0, n), end: pads.slice(n) };
  }
  const s = node.attrInts('strides') ?? kernel.map(() => 1);
  const d = node.attrInts('dilations') ?? kernel.map(() => 1);
  const op = node.attrInts('output_padding') ?? zeros;
  const total = kernel.map((k, i) => Math.max(0, s[i]! * (input[i]! - 1) + op[i]! + (k - 1) * d[i]! + 1 - output[i]!));
  // onnxruntime: the odd cell goes to the end for SAME_UPPER, to the beginning otherwise.
  const begin = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : t - Math.floor(t / 2)));
  return { begin, end: total.map((t, i) => t - begin[i]!) };
}

/**
 * ConvTranspose: Y = X ⋆ᵀ W + B with W [C, M/G, ...K]. Seen from Y's grid it is the adjoint of a Conv whose windows
 * slide over Y (same strides, dilations, pads), so:
 * - dX = Conv(dY, W) with the same group, strides, dilations and pads (the end pad trimmed to what is read);
 * - dW = the Conv weight gradient with dY as the input and X as the gradient, which lands in W's [C, M/G, ...K]
 *   layout directly (`form`, or per node by {@link pickWeightGrad});
 * - dB = ReduceSum(dY).
 */
export function convTransposeGrad(form?: WeightGradForm): GradRule {
  return (ctx) => {
    const [dy] = ctx.dY;
    if (!dy) return [];
    const x = ctx.x(0), w = ctx.x(1);
    const group = ctx.node.attrInt('group', 1);
    const { d0: c, d1: mg, kernel } = weightDims(ctx, w);
    const [xin, yout] = [spatialDims(ctx, x, 'input'), spatialDims(ctx, ctx.y(0), 'output')];
    const { begin, end } = transposePads(ctx, kernel, xin, yout);
    const ones = kernel.map(() => 1);
    const win: Window = {
      kernel, begin, end, input: yout, output: xin,
      strides: ctx.node.attrInts('strides') ?? ones, dilations: ctx.node.attrInts('dilations') ?? ones,
    };
    const over = kernel.map((_, i) => overhang(win, i));
    const short = over.findIndex((o, i) => -o >= win.strides[i]!);
    if (short >= 0) {
      ctx.fail(`output_padding leaves ${-over[short]!} trailing cells on axis ${short + 2} that no window of stride ${win.strides[short]} covers (span ${span(win, short)}); output_padding < stride is supported.`);
    }
    const pads = [...begin, ...over.map((o) => Math.max(0, o))];
    const dX = ctx.needs[0]
      ? ctx.b.op('Conv', [dy, w], { group, kernel_shape: kernel, strides: [...win.strides], dilations: [...win.dilations], pads })
      : undefined;
    const dW = ctx.needs[1] ? weightGrad(ctx, dy, x, win, group, mg * group, c, form) : undefined;
    return [dX, dW, biasGrad(ctx, dy)];
  };
}

/** The ConvTranspose rule of the built-in table: {@link convTransposeGrad} with the per-node policy. */
export const convTranspose: GradRule = convTransposeGrad();
