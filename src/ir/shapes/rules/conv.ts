/**
 * Shape rules for convolutions: Conv and ConvTranspose (pads, auto_pad, strides, dilations, group, output_padding),
 * and the integer forms ConvInteger and QLinearConv.
 */
import type { DataType } from '../../dtype.js';
import type { Dim } from '../../graph.js';
import { fmtShape } from '../dims.js';
import type { ShapeContext, ShapeRule } from '../types.js';
import { readWindow, windowOut } from '../window.js';

/** A Conv-like rule: data at input 0, weight at input `w`, output dtype from `dtypeOf`. */
function convLike(w: number, dtypeOf: (ctx: ShapeContext) => DataType | undefined): ShapeRule {
  return (ctx: ShapeContext) => {
    const x = ctx.shape(0);
    const wd = ctx.shape(w);
    const dtype = dtypeOf(ctx);
    if (!x || x.length < 3) return [{ dtype }];
    const spatial = x.length - 2;
    const win = readWindow(ctx, spatial, wd?.slice(2));
    const group = ctx.node.attrInt('group', 1);
    if (wd && typeof wd[1] === 'number' && typeof x[1] === 'number' && wd[1] * group !== x[1]) {
      ctx.fail(`input has ${x[1]} channels but W ${fmtShape(wd)} with group ${group} expects ${wd[1] * group}.`);
    }
    const out: Dim[] = [x[0]!, wd ? wd[0]! : null];
    for (let i = 0; i < spatial; i++) out.push(win ? windowOut(x[i + 2]!, win, i) : null);
    return [{ dtype, shape: out }];
  };
}

/** Conv: `[N, M, out...]` with M = W's first dim. */
export const conv: ShapeRule = convLike(1, (ctx) => ctx.dtype(0));
/** ConvInteger: like Conv, int32 output. */
export const convInteger: ShapeRule = convLike(1, () => 'int32');
/** QLinearConv: weight at input 3, output dtype of y_zero_point (input 7). */
export const qlinearConv: ShapeRule = convLike(3, (ctx) => ctx.dtype(7) ?? ctx.dtype(0));

/** ConvTranspose: `[N, W[1]·group, out...]`, from `output_shape` when given, else the ONNX formula. */
export const convTranspose: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  const w = ctx.shape(1);
  const dtype = ctx.dtype(0);
  if (!x || x.length < 3) return [{ dtype }];
  const spatial = x.length - 2;
  const win = readWindow(ctx, spatial, w?.slice(2));
  const group = ctx.node.attrInt('group', 1);
  const m = w && typeof w[1] === 'number' ? w[1] * group : null;
  const explicit = ctx.node.attrInts('output_shape');
  const outPad = ctx.node.attrInts('output_padding') ?? new Array<number>(spatial).fill(0);
  const out: Dim[] = [x[0]!, m];
  for (let i = 0; i < spatial; i++) {
    const xi = x[i + 2]!;
    if (explicit) out.push(explicit[explicit.length - spatial + i] ?? null);
    else if (!win || typeof xi !== 'number') out.push(null);
    else if (win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER') out.push(xi * win.strides[i]!);
    else {
      const pads = win.autoPad === 'VALID' ? 0 : win.pads[i]! + win.pads[i + spatial]!;
      const span = (win.kernel[i]! - 1) * win.dilations[i]! + 1;
      out.push(win.strides[i]! * (xi - 1) + (outPad[i] ?? 0) + span - pads);
    }
  }
  return [{ dtype, shape: out }];
};
