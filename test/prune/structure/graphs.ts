/**
 * Hand-built scenario graphs for structured pruning, each a small model ending in 'logits' [N, 4]: residual, concat,
 * split/slice, depthwise and grouped convs, reshape/flatten/NHWC into a linear layer, multi-head attention (and a
 * grouped-query variant), a chain of pass-through ops, and a graph with an unknown custom op.
 */
import { attr } from '../../../src/ir/builder.js';
import type { Model, Value } from '../../../src/ir/graph.js';
import { batchNorm, conv, dense, finishModel, linear, startModel, type ZooContext, type ZooInfo } from '../../../src/zoo/common.js';

function info(name: string, inputShape: readonly number[]): ZooInfo {
  return { name, description: `structured pruning scenario '${name}'`, inputShape, dataset: 'mnist' };
}

function head(ctx: ZooContext, x: Value, channels: number): Value {
  const { b } = ctx;
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [x])], { axis: 1 });
  return b.scope('fc', () => linear(ctx, pooled, channels, 4));
}

function build(name: string, shape: readonly number[], body: (ctx: ZooContext) => Value, opset = 17, batch: number | string = 'N'): Model {
  const ctx = startModel(info(name, shape), { numClasses: 4, seed: 5, batch });
  const m = finishModel(ctx, info(name, shape), body(ctx));
  m.opsets.set('', opset);
  return m;
}

/** Two residual blocks sharing one group, a BN, a per-channel constant scale [1,8,1,1]. */
export function residualGraph(): Model {
  return build('residual', [3, 8, 8], (ctx) => {
    const { b } = ctx;
    const a = b.op('Relu', [b.scope('bn0', () => batchNorm(ctx, b.scope('c0', () => conv(ctx, ctx.input, { inC: 3, outC: 8, kernel: 3, pad: 1 })), 8))]);
    const scale = b.constF32('scale', [1, 8, 1, 1], Float32Array.from({ length: 8 }, (_, i) => 0.5 + i / 8));
    let x = b.op('Mul', [a, scale]);
    for (const k of [1, 2]) {
      const h = b.op('Relu', [b.scope(`c${k}a`, () => conv(ctx, x, { inC: 8, outC: 6, kernel: 3, pad: 1 }))]);
      x = b.op('Relu', [b.op('Add', [b.scope(`c${k}b`, () => conv(ctx, h, { inC: 6, outC: 8, kernel: 3, pad: 1 })), x])]);
    }
    return head(ctx, x, 8);
  });
}

/** Two branches of 6 and 10 channels concatenated into one conv; a Sub with a broadcast scalar. */
export function concatGraph(): Model {
  return build('concat', [3, 8, 8], (ctx) => {
    const { b } = ctx;
    const l = b.op('Relu', [b.scope('left', () => conv(ctx, ctx.input, { inC: 3, outC: 6, kernel: 3, pad: 1 }))]);
    const r = b.op('Sigmoid', [b.scope('right', () => conv(ctx, ctx.input, { inC: 3, outC: 10, kernel: 1 }))]);
    const cat = b.op('Sub', [b.op('Concat', [l, r], { axis: 1 }), b.scalar(0.25)]);
    const y = b.op('Relu', [b.scope('merge', () => conv(ctx, cat, { inC: 16, outC: 8, kernel: 3, pad: 1 }))]);
    return head(ctx, y, 8);
  });
}

/** A conv of 16 split 6 + 10 (opset-13 sizes input), a Slice of channels [2, 14) of another conv. */
export function splitGraph(): Model {
  return build('split', [3, 8, 8], (ctx) => {
    const { b } = ctx;
    const y = b.op('Relu', [b.scope('src', () => conv(ctx, ctx.input, { inC: 3, outC: 16, kernel: 3, pad: 1 }))]);
    const [p, q] = b.opN('Split', [y, b.constI64('sizes', [6, 10])], 2, { axis: 1 });
    const pa = b.scope('pa', () => conv(ctx, p!, { inC: 6, outC: 4, kernel: 1 }));
    const qa = b.scope('qa', () => conv(ctx, b.op('Tanh', [q!]), { inC: 10, outC: 4, kernel: 1 }));
    const z = b.op('Relu', [b.scope('src2', () => conv(ctx, ctx.input, { inC: 3, outC: 16, kernel: 1 }))]);
    const s = b.op('Slice', [z, b.constI64('starts', [2]), b.constI64('ends', [14]), b.constI64('axes', [1])]);
    const sa = b.scope('sa', () => conv(ctx, s, { inC: 12, outC: 4, kernel: 1 }));
    return head(ctx, b.op('Add', [b.op('Add', [pa, qa]), sa]), 4);
  });
}

/** Depthwise (multiplier 1 and 2) and grouped (g = 2) convs with BN and Relu6 (Clip). */
export function depthwiseGraph(): Model {
  return build('depthwise', [3, 8, 8], (ctx) => {
    const { b } = ctx;
    const relu6 = (x: Value): Value => b.op('Clip', [x, b.scalar(0), b.scalar(6)]);
    const e = relu6(b.scope('expand', () => conv(ctx, ctx.input, { inC: 3, outC: 8, kernel: 1 })));
    const d = relu6(b.scope('dwbn', () => batchNorm(ctx, b.scope('dw', () => conv(ctx, e, { inC: 8, outC: 8, kernel: 3, pad: 1, group: 8, bias: false })), 8)));
    const m2 = b.scope('dw2', () => conv(ctx, d, { inC: 8, outC: 16, kernel: 3, pad: 1, group: 8 }));
    const g2 = b.op('Relu', [b.scope('grouped', () => conv(ctx, m2, { inC: 16, outC: 8, kernel: 1, group: 2 }))]);
    return head(ctx, b.scope('project', () => conv(ctx, g2, { inC: 8, outC: 8, kernel: 1 })), 8);
  });
}

/** Three ways into a linear layer: Reshape [-1, C·H·W], Flatten, and NHWC Transpose + Reshape [0, -1]. */
export function reshapeGraph(): Model {
  return build('reshape', [3, 4, 4], (ctx) => {
    const { b } = ctx;
    const a = b.op('Relu', [b.scope('a', () => conv(ctx, ctx.input, { inC: 3, outC: 6, kernel: 3, pad: 1 }))]);
    const ra = b.scope('fa', () => linear(ctx, b.op('Reshape', [a, b.constI64('shape', [-1, 96])]), 96, 4));
    const c = b.op('Relu', [b.scope('c', () => conv(ctx, ctx.input, { inC: 3, outC: 5, kernel: 3, pad: 1 }))]);
    const rc = b.scope('fc_flat', () => linear(ctx, b.op('Flatten', [c], { axis: 1 }), 80, 4));
    const d = b.op('Relu', [b.scope('d', () => conv(ctx, ctx.input, { inC: 3, outC: 4, kernel: 3, pad: 1 }))]);
    const nhwc = b.op('Transpose', [d], { perm: [0, 2, 3, 1] });
    const rd = b.scope('fd', () => linear(ctx, b.op('Reshape', [nhwc, b.constI64('shape', [0, -1])]), 64, 4));
    return b.op('Add', [b.op('Add', [ra, rc]), rd]);
  });
}

/**
 * Multi-head self-attention over [N, 6, 32] with 4 heads of 8 (Reshape [0,0,4,8] / Transpose / MatMul / Softmax),
 * output projection, token mean, Gemm. `kvHeads` < 4 shares K/V heads (GQA) by Expand over a group axis.
 */
export function attentionGraph(kvHeads = 4): Model {
  const [T, D, H, dh] = [6, 32, 4, 8];
  return build(kvHeads === H ? 'attention' : 'gqa', [T, D], (ctx) => {
    const { b } = ctx;
    const split = (v: Value, heads: number, perm: number[]): Value => b.op('Transpose', [b.op('Reshape', [v, b.constI64('split', [0, 0, heads, dh])])], { perm });
    const shared = (v: Value): Value => {
      if (kvHeads === H) return v;
      const g = b.op('Unsqueeze', [v, b.constI64('axes', [2])]);
      const e = b.op('Expand', [g, b.constI64('rep', [1, 1, H / kvHeads, 1, 1])]);
      return b.op('Reshape', [e, b.constI64('merge_kv', [0, H, T, -1])]);
    };
    const q = split(b.scope('q', () => dense(ctx, ctx.input, D, H * dh)), H, [0, 2, 1, 3]);
    const k = shared(split(b.scope('k', () => dense(ctx, ctx.input, D, kvHeads * dh)), kvHeads, [0, 2, 1, 3]));
    const v = shared(split(b.scope('v', () => dense(ctx, ctx.input, D, kvHeads * dh)), kvHeads, [0, 2, 1, 3]));
    const kT = b.op('Transpose', [k], { perm: [0, 1, 3, 2] });
    const probs = b.op('Softmax', [b.op('Mul', [b.op('MatMul', [q, kT]), b.scalar(1 / Math.sqrt(dh))])], { axis: -1 });
    const o = b.op('Transpose', [b.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
    const merged = b.op('Reshape', [o, b.constI64('merge', [0, 0, H * dh])]);
    const proj = b.op('Relu', [b.scope('proj', () => dense(ctx, merged, H * dh, 24))]);
    const pooled = b.op('ReduceMean', [proj, b.constI64('tokens', [1])], { keepdims: 0 });
    return b.scope('fc', () => linear(ctx, pooled, 24, 4));
  }, 18);
}

/** Pass-through ops between convs: InstanceNorm, LeakyRelu, Pad, MaxPool, Resize, AveragePool, Sigmoid, Cast, ConvTranspose, Squeeze. */
export function chainGraph(): Model {
  return build('chain', [3, 8, 8], (ctx) => {
    const { b } = ctx;
    const c = b.scope('c', () => conv(ctx, ctx.input, { inC: 3, outC: 8, kernel: 3, pad: 1 }));
    const n = b.op('InstanceNormalization', [c, b.constF32('in_scale', [8], new Float32Array(8).fill(1)), b.constF32('in_bias', [8], new Float32Array(8))], { epsilon: 1e-5 });
    const p = b.op('Pad', [b.op('LeakyRelu', [n], { alpha: 0.1 }), b.constI64('pads', [0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'reflect' });
    const pooled = b.op('MaxPool', [p], { kernel_shape: [2, 2], strides: [2, 2] });
    const up = b.op('Resize', [pooled, null, b.constF32('scales', [4], [1, 1, 2, 2])], { mode: 'nearest' });
    const avg = b.op('AveragePool', [up], { kernel_shape: [3, 3], strides: [1, 1] });
    const x = b.op('Identity', [b.op('Cast', [b.op('Sigmoid', [avg])], { to: attr.int(1) })]);
    const w = b.constF32('ct_w', [8, 6, 2, 2], Float32Array.from({ length: 192 }, (_, i) => Math.sin(i) * 0.3));
    const t = b.op('Tanh', [b.op('ConvTranspose', [x, w, b.constF32('ct_b', [6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])], { strides: [2, 2] })]);
    const g = b.op('Squeeze', [b.op('GlobalAveragePool', [t]), b.constI64('sq', [2, 3])]);
    return b.scope('fc', () => linear(ctx, g, 6, 4));
  });
}

/** A conv, an unknown op 'com.example' Frobnicate on its channels, and another conv. */
export function customOpGraph(): Model {
  const m = build('custom', [3, 8, 8], (ctx) => {
    const { b } = ctx;
    const c = b.scope('c', () => conv(ctx, ctx.input, { inC: 3, outC: 8, kernel: 3, pad: 1 }));
    const f = b.op('Frobnicate', [c], {}, { domain: 'com.example', name: 'frob' });
    return head(ctx, b.scope('d', () => conv(ctx, f, { inC: 8, outC: 8, kernel: 1 })), 8);
  });
  m.opsets.set('com.example', 1);
  return m;
}

/**
 * Parameters that spell channel counts (batch fixed to 2): Resize `sizes` [2,16,16,16], Expand of a per-channel
 * constant to [2,16,16,16], and an equal Split without sizes (opset 13).
 */
export function rewriteGraph(): Model {
  return build('rewrites', [3, 8, 8], (ctx) => {
    const { b } = ctx;
    const c = b.scope('c', () => conv(ctx, ctx.input, { inC: 3, outC: 16, kernel: 3, pad: 1 }));
    const r = b.op('Resize', [c, null, null, b.constI64('sizes', [2, 16, 16, 16])], { mode: 'nearest' });
    const bias = b.constF32('bias', [1, 16, 1, 1], Float32Array.from({ length: 16 }, (_, i) => i / 16));
    const e = b.op('Expand', [bias, b.constI64('target', [2, 16, 16, 16])]);
    const [p, q] = b.opN('Split', [b.op('Relu', [b.op('Add', [r, e])])], 2, { axis: 1 });
    const y = b.op('Add', [b.scope('pa', () => conv(ctx, p!, { inC: 8, outC: 4, kernel: 1 })), b.scope('qa', () => conv(ctx, q!, { inC: 8, outC: 4, kernel: 1 }))]);
    return head(ctx, y, 4);
  }, 13, 2);
}

/** Opset 9: Slice with attributes (channels [4, 12) of 16). */
export function legacySliceGraph(): Model {
  return build('legacy', [3, 8, 8], (ctx) => {
    const { b } = ctx;
    const c = b.op('Relu', [b.scope('c', () => conv(ctx, ctx.input, { inC: 3, outC: 16, kernel: 3, pad: 1 }))]);
    const s = b.op('Slice', [c], { starts: [4], ends: [12], axes: [1] });
    return head(ctx, b.scope('d', () => conv(ctx, s, { inC: 8, outC: 8, kernel: 1 })), 8);
  }, 9);
}

/** A MatMul of 8 features feeding an LSTM or GRU (hidden 6) whose outputs are averaged over time into a Gemm. */
export function recurrentGraph(op: 'LSTM' | 'GRU' = 'LSTM'): Model {
  const gates = op === 'LSTM' ? 4 : 3;
  return build(op.toLowerCase(), [5, 4], (ctx) => {
    const { b } = ctx;
    const x = b.op('Transpose', [b.op('Relu', [b.scope('embed', () => dense(ctx, ctx.input, 4, 8))])], { perm: [1, 0, 2] });
    const w = (name: string, dims: number[]): Value => b.constF32(name, dims, Float32Array.from({ length: dims.reduce((p, q) => p * q, 1) }, (_, i) => Math.cos(i) * 0.2));
    const y = b.opN(op, [x, w('W', [1, gates * 6, 8]), w('R', [1, gates * 6, 6]), w('B', [1, gates * 12])], 1, { hidden_size: 6 })[0]!;
    const seq = b.op('Squeeze', [y, b.constI64('dirs', [1])]);
    const pooled = b.op('ReduceMean', [seq, b.constI64('time', [0])], { keepdims: 0 });
    return b.scope('fc', () => linear(ctx, pooled, 6, 4));
  }, 18);
}
