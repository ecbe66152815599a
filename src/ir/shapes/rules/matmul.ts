/**
 * Shape rules for matrix products: Gemm (transA/transB), MatMul (numpy batching, 1-D operands), FusedMatMul and the
 * integer forms MatMulInteger and QLinearMatMul.
 */
import type { DataType } from '../../dtype.js';
import type { Dim } from '../../graph.js';
import { broadcastShapes, fmtShape, unify } from '../dims.js';
import type { ShapeContext, ShapeRule } from '../types.js';

function swapLast(s: readonly Dim[]): Dim[] {
  const t = [...s];
  if (t.length >= 2) [t[t.length - 2], t[t.length - 1]] = [t[t.length - 1]!, t[t.length - 2]!];
  return t;
}

/** numpy.matmul's output shape: batch dims broadcast, 1-D operands promoted then dropped. */
export function matmulShape(ctx: ShapeContext, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) ctx.fail('MatMul operands must have rank >= 1.');
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const k = unify(a2[a2.length - 1]!, b2[b2.length - 2]!);
  if (k === 'conflict') ctx.fail(`inner dims differ: ${fmtShape(a)} x ${fmtShape(b)}.`);
  const batch = broadcastShapes(ctx, [a2.slice(0, -2), b2.slice(0, -2)]);
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

/** A MatMul-like rule: A at input 0, B at input `b`, output dtype from `dtypeOf`. */
function matmulLike(b: number, dtypeOf: (ctx: ShapeContext) => DataType | undefined): ShapeRule {
  return (ctx: ShapeContext) => {
    const sa = ctx.shape(0);
    const sb = ctx.shape(b);
    return [{ dtype: dtypeOf(ctx), shape: sa && sb ? matmulShape(ctx, sa, sb) : undefined }];
  };
}

/** MatMul. */
export const matmul: ShapeRule = matmulLike(1, (ctx) => ctx.dtype(0));
/** MatMulInteger: int32 output. */
export const matmulInteger: ShapeRule = matmulLike(1, () => 'int32');
/** QLinearMatMul: B at input 3, output dtype of y_zero_point (input 7). */
export const qlinearMatmul: ShapeRule = matmulLike(3, (ctx) => ctx.dtype(7) ?? ctx.dtype(0));

/** com.microsoft FusedMatMul: MatMul with `transA` / `transB` on the last two dims. */
export const fusedMatmul: ShapeRule = (ctx) => {
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  if (!a || !b) return [{ dtype: ctx.dtype(0) }];
  const ta = ctx.node.attrInt('transA', 0) !== 0 ? swapLast(a) : a;
  const tb = ctx.node.attrInt('transB', 0) !== 0 ? swapLast(b) : b;
  return [{ dtype: ctx.dtype(0), shape: matmulShape(ctx, ta, tb) }];
};

/** Gemm: `[M, N]` from A `[M, K]` and B `[K, N]`, each optionally transposed. */
export const gemm: ShapeRule = (ctx) => {
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  const dtype = ctx.dtype(0);
  if (!a || !b) return [{ dtype }];
  if (a.length !== 2 || b.length !== 2) ctx.fail(`Gemm needs 2-D A and B, got ${fmtShape(a)} and ${fmtShape(b)}.`);
  const [m, ka] = ctx.node.attrInt('transA', 0) !== 0 ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
  const [kb, n] = ctx.node.attrInt('transB', 0) !== 0 ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
  if (unify(ka, kb) === 'conflict') ctx.fail(`inner dims differ: A ${fmtShape(a)} vs B ${fmtShape(b)} (transA/transB applied).`);
  return [{ dtype, shape: [m, n] }];
};
