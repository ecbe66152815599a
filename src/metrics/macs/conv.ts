/**
 * MACs of convolutions. Conv: every output element is a dot product over (Cin/group)·k₁·k₂… weights, so
 * MACs = numel(Y)·(Cin/group)·∏k = N·Cout·∏out·(Cin/group)·∏k. ConvTranspose: every input element is multiplied
 * by a (Cout/group)·∏k slice of the kernel, so MACs = numel(X)·(Cout/group)·∏k (fvcore's convention; thop's
 * output-based formula overcounts strided transposed convs). Bias additions are not counted.
 */
import { numel, type MacRule } from './types.js';

/** MACs of a Conv-like op whose weight is input `w` ([Cout, Cin/group, k...]). */
function convAt(w: number): MacRule {
  return (ctx) => {
    const y = ctx.output(0);
    const wd = ctx.input(w);
    return y && wd ? numel(y) * numel(wd.slice(1)) : undefined;
  };
}

/** Conv and ConvInteger: weight at input 1. */
export const conv: MacRule = convAt(1);
/** QLinearConv: weight at input 3. */
export const qlinearConv: MacRule = convAt(3);

/** ConvTranspose: weight [Cin, Cout/group, k...] at input 1. */
export const convTranspose: MacRule = (ctx) => {
  const x = ctx.input(0);
  const w = ctx.input(1);
  return x && w ? numel(x) * numel(w.slice(1)) : undefined;
};
