/**
 * MACs of matrix products: numel(Y)·K, where K is the contracted dim. This covers weight layers (Gemm, MatMul with
 * a constant operand) and activation×activation products alike (attention's QKᵀ and A·V). Bias terms (Gemm's C,
 * alpha/beta scaling) are not counted.
 */
import { numel, type MacRule } from './types.js';

/** K of `A` (last dim, or the one before it when transposed). */
function inner(a: readonly number[] | undefined, transposed: boolean): number | undefined {
  if (!a || a.length === 0) return undefined;
  if (a.length === 1) return a[0];
  return transposed ? a[a.length - 2] : a[a.length - 1];
}

/** numel(Y)·K with A at input `slot`; `trans` reads the transA attribute. */
function productAt(slot: number, trans: boolean): MacRule {
  return (ctx) => {
    const y = ctx.output(0);
    const k = inner(ctx.input(slot), trans && ctx.node.attrInt('transA', 0) !== 0);
    return y && k !== undefined ? numel(y) * k : undefined;
  };
}

/** Gemm: M·N·K. */
export const gemm: MacRule = productAt(0, true);
/** MatMul, MatMulInteger: batch·M·N·K. */
export const matmul: MacRule = productAt(0, false);
/** com.microsoft FusedMatMul (transA/transB). */
export const fusedMatmul: MacRule = productAt(0, true);
/** QLinearMatMul: A at input 0. */
export const qlinearMatmul: MacRule = productAt(0, false);
