import { filledTensor, normalTensor } from '../ir/builder.js';
import type { Model, Value } from '../ir/graph.js';
import { conv, dense, finishModel, linear, startModel, type ZooContext, type ZooInfo, type ZooOptions } from './common.js';

/** Registry facts of {@link buildVitTiny}. */
export const VIT_TINY: ZooInfo = {
  name: 'vit-tiny',
  description:
    'Tiny ViT for 28x28x1: 7x7 /7 patch embedding (16 patches, dim 64), class token, learned position embedding, ' +
    '2 pre-LN encoder blocks (4-head attention written out, FFN 64→128→64 with Erf Gelu), LayerNorm, class-token Gemm head.',
  inputShape: [1, 28, 28],
  dataset: 'fashion-mnist',
};

/** Width, heads, depth and FFN width of the model. */
const CFG = { patch: 7, dim: 64, heads: 4, depth: 2, mlp: 128, tokens: 16 + 1, epsilon: 1e-5 } as const;

/** Patch embedding: Conv 1→dim (kernel = stride = patch) [N,64,4,4] → Reshape [0,0,-1] → Transpose → [N,16,64]. */
function patchEmbed(ctx: ZooContext, x: Value): Value {
  const { b } = ctx;
  return b.scope('patch_embed', () => {
    const y = conv(ctx, x, { inC: 1, outC: CFG.dim, kernel: CFG.patch, stride: CFG.patch });
    const flat = b.op('Reshape', [y, b.constI64('shape', [0, 0, -1])]);
    return b.op('Transpose', [flat], { perm: [0, 2, 1] });
  });
}

/** Prepends the learned class token ([1,1,64] Expand'ed to [N,1,64]) and adds the position embedding. */
function embedTokens(ctx: ZooContext, patches: Value): Value {
  const { b, rng } = ctx;
  const cls = b.initializer('cls_token', normalTensor(rng, [1, 1, CFG.dim], 0.02));
  const pos = b.initializer('pos_embed', normalTensor(rng, [1, CFG.tokens, CFG.dim], 0.02));
  return b.scope('embed', () => {
    const n = b.op('Shape', [patches], { end: 1, start: 0 });
    const target = b.op('Concat', [n, b.constI64('ones', [1, 1])], { axis: 0 });
    const clsN = b.op('Expand', [cls, target]);
    const tokens = b.op('Concat', [clsN, patches], { axis: 1 });
    return b.op('Add', [tokens, pos]);
  });
}

/** LayerNormalization over the last axis, gamma 1 and beta 0, in scope `name`. */
function layerNorm(ctx: ZooContext, name: string, x: Value): Value {
  const { b } = ctx;
  return b.scope(name, () => {
    const gamma = b.initializer('scale', filledTensor([CFG.dim], 1));
    const beta = b.initializer('B', filledTensor([CFG.dim], 0));
    return b.op('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: CFG.epsilon });
  });
}

/**
 * Multi-head self-attention written out. The head split is Reshape to the constant `attn/heads_shape` =
 * [0, 0, heads, headDim] (0 copies N and T) and the merge Reshape to `attn/merge_shape` = [0, 0, heads·headDim]:
 * explicit head counts, one pair per block, so structured pruning of heads rewrites exactly these two constants.
 */
function attention(ctx: ZooContext, x: Value): Value {
  const { b } = ctx;
  const headDim = CFG.dim / CFG.heads;
  return b.scope('attn', () => {
    const split = b.constI64('heads_shape', [0, 0, CFG.heads, headDim]);
    const heads = (name: string, perm: number[]): Value =>
      b.scope(name, () => b.op('Transpose', [b.op('Reshape', [dense(ctx, x, CFG.dim, CFG.dim), split])], { perm }));
    const q = heads('q', [0, 2, 1, 3]);
    const kT = heads('k', [0, 2, 3, 1]);
    const v = heads('v', [0, 2, 1, 3]);
    const scores = b.op('Mul', [b.op('MatMul', [q, kT]), b.scalar(1 / Math.sqrt(headDim))]);
    const probs = b.op('Softmax', [scores], { axis: -1 });
    const ctxHeads = b.op('Transpose', [b.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
    const merged = b.op('Reshape', [ctxHeads, b.constI64('merge_shape', [0, 0, CFG.dim])]);
    return b.scope('proj', () => dense(ctx, merged, CFG.dim, CFG.dim));
  });
}

/** Gelu(x) = 0.5·x·(1 + Erf(x/√2)), from standard ops (Gelu is an ai.onnx op only from opset 20). */
function gelu(ctx: ZooContext, x: Value): Value {
  const { b } = ctx;
  return b.scope('gelu', () => {
    const erf = b.op('Erf', [b.op('Mul', [x, b.scalar(Math.SQRT1_2)])]);
    const y = b.op('Mul', [x, b.op('Add', [erf, b.scalar(1)])]);
    return b.op('Mul', [y, b.scalar(0.5)]);
  });
}

/** Pre-LN encoder block: x + Attn(LN(x)), then x + FFN(LN(x)). */
function encoderBlock(ctx: ZooContext, x: Value): Value {
  const { b } = ctx;
  const a = b.op('Add', [x, attention(ctx, layerNorm(ctx, 'ln1', x))], {}, { name: 'residual1' });
  const h = layerNorm(ctx, 'ln2', a);
  const f = b.scope('mlp', () => {
    const up = gelu(ctx, b.scope('fc1', () => dense(ctx, h, CFG.dim, CFG.mlp)));
    return b.scope('fc2', () => dense(ctx, up, CFG.mlp, CFG.dim));
  });
  return b.op('Add', [a, f], {}, { name: 'residual2' });
}

/**
 * A tiny Vision Transformer (72,074 parameters): `patch_embed`, `cls_token`, `pos_embed`, `block0`, `block1`, `norm`,
 * `head`. The class token is read back with Gather(axis 1, index 0) before the Gemm head.
 *
 * @example
 * ```ts
 * const model = buildVitTiny({ seed: 7, numClasses: 10 });
 * model.graph.nodes.filter((n) => n.opType === 'Softmax').length;   // 2
 * ```
 */
export function buildVitTiny(opts: ZooOptions = {}): Model {
  const ctx = startModel(VIT_TINY, opts);
  const { b } = ctx;
  let x = embedTokens(ctx, patchEmbed(ctx, ctx.input));
  for (let i = 0; i < CFG.depth; i++) x = b.scope(`block${i}`, () => encoderBlock(ctx, x));
  const normed = layerNorm(ctx, 'norm', x);
  const cls = b.op('Gather', [normed, b.scalar(0, 'int64')], { axis: 1 }, { name: 'cls_select' });
  const logits = b.scope('head', () => linear(ctx, cls, CFG.dim, ctx.numClasses));
  return finishModel(ctx, VIT_TINY, logits, opts);
}
