/**
 * Gradient rules of matrix products. Transposed products are written as Gemm (2-D; it takes transA/transB natively),
 * com.microsoft FusedMatMul (batched, when contrib ops are allowed), or Transpose + MatMul.
 * @module
 */
import type { Dim, Value } from '../../ir/graph.js';
import { reshape, squeeze, transpose, unsqueeze } from '../ops.js';
import type { GradContext, GradRule } from '../types.js';

/** op(a)·op(b)·alpha, op = transpose of the last two axes where asked; `ranks` are the operands' ranks. */
function product(ctx: GradContext, a: Value, ta: boolean, bv: Value, tb: boolean, ranks: readonly [number, number], alpha = 1): Value {
  const { b } = ctx;
  if (ranks[0] === 2 && ranks[1] === 2 && ctx.opset >= 11) {
    return b.op('Gemm', [a, bv], { transA: ta ? 1 : undefined, transB: tb ? 1 : undefined, alpha: alpha === 1 ? undefined : alpha });
  }
  let out: Value;
  if (!ta && !tb) out = b.op('MatMul', [a, bv]);
  else if (ctx.contribOps) out = b.op('FusedMatMul', [a, bv], { transA: ta ? 1 : 0, transB: tb ? 1 : 0 }, { domain: 'com.microsoft' });
  else out = b.op('MatMul', [ta ? swapLast(ctx, a, ranks[0]) : a, tb ? swapLast(ctx, bv, ranks[1]) : bv]);
  return alpha === 1 ? out : b.op('Mul', [out, ctx.scalar(alpha, a)]);
}

function swapLast(ctx: GradContext, v: Value, rank: number): Value {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose(ctx, v, perm);
}

/**
 * MatMul with numpy semantics: dA = dY·Bᵀ, dB = Aᵀ·dY, batch axes summed back by un-broadcast. 1-D operands are
 * promoted to matrices ([K] → [1, K] on the left, [K, 1] on the right) and squeezed back. A batched A times a 2-D B
 * (a Linear layer on [batch, seq, features]) gets dB from one flattened Gemm instead of a batched product and a sum.
 */
export const matmul: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const A = ctx.x(0), B = ctx.x(1);
  const [ra, rb] = [ctx.rank(A), ctx.rank(B)];
  const sa = ctx.shape(A)!, sb = ctx.shape(B)!;
  const ry = ra === 1 && rb === 1 ? 0 : ra === 1 ? rb - 1 : rb === 1 ? ra - 1 : Math.max(ra, rb);
  const added = ra === 1 && rb === 1 ? [0, 1] : ra === 1 ? [ry - 1] : rb === 1 ? [ry] : [];
  const a = ra === 1 ? unsqueeze(ctx, A, [0]) : A;
  const bm = rb === 1 ? unsqueeze(ctx, B, [1]) : B;
  const aShape: Dim[] = ra === 1 ? [1, ...sa] : [...sa];
  const bShape: Dim[] = rb === 1 ? [...sb, 1] : [...sb];
  const g = added.length > 0 ? unsqueeze(ctx, dy, added) : dy;
  const gShape = promoted(ctx.shape(ctx.y(0)), added);
  const ranks: [number, number] = [aShape.length, bShape.length];
  const gRank = Math.max(ranks[0], ranks[1]);
  const out: (Value | undefined)[] = [undefined, undefined];
  if (ctx.needs[0]) {
    const full = product(ctx, g, false, bm, true, [gRank, ranks[1]]);
    const dA = ctx.unbroadcast(full, a, gShape && [...gShape.slice(0, -1), aShape[aShape.length - 1]!]);
    out[0] = ra === 1 ? squeeze(ctx, dA, [0]) : dA;
  }
  if (ctx.needs[1]) {
    const [k, n] = [bShape[0], bShape[1]];
    let dB: Value;
    if (ranks[0] > 2 && ranks[1] === 2 && typeof k === 'number' && typeof n === 'number') {
      dB = product(ctx, reshape(ctx, a, [-1, k]), true, reshape(ctx, g, [-1, n]), false, [2, 2]);
    } else {
      const full = product(ctx, a, true, g, false, [ranks[0], gRank]);
      dB = ctx.unbroadcast(full, bm, gShape && [...gShape.slice(0, -2), bShape[bShape.length - 2]!, gShape[gShape.length - 1]!]);
    }
    out[1] = rb === 1 ? squeeze(ctx, dB, [1]) : dB;
  }
  return out;
};

/** A static shape with size-1 axes inserted at `axes` (positions in the result). */
function promoted(shape: readonly Dim[] | undefined, axes: readonly number[]): Dim[] | undefined {
  if (!shape) return undefined;
  const out: Dim[] = [...shape];
  for (const a of axes) out.splice(a, 0, 1);
  return out;
}

/**
 * Gemm: Y = α·op(A)·op(B) + β·C. Each case of transA/transB is again one Gemm with the right flags (no Transpose);
 * dC = β·dY un-broadcast to C's shape.
 */
export const gemm: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { node } = ctx;
  const A = ctx.x(0), B = ctx.x(1), C = node.input(2);
  const [tA, tB] = [node.attrInt('transA', 0) !== 0, node.attrInt('transB', 0) !== 0];
  const alpha = node.attrFloat('alpha', 1), beta = node.attrFloat('beta', 1);
  const mm = (a: Value, ta: boolean, bv: Value, tb: boolean): Value => product(ctx, a, ta, bv, tb, [2, 2], alpha);
  const dA = ctx.needs[0] ? (tA ? mm(B, tB, dy, true) : mm(dy, false, B, !tB)) : undefined;
  const dB = ctx.needs[1] ? (tB ? mm(dy, true, A, tA) : mm(A, !tA, dy, false)) : undefined;
  let dC: Value | undefined;
  if (C && ctx.needs[2]) dC = ctx.unbroadcast(beta === 1 ? dy : ctx.b.op('Mul', [dy, ctx.scalar(beta, dy)]), C);
  return [dA, dB, dC];
};
