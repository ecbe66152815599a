/**
 * Finite-difference checks of the Conv and ConvTranspose gradients over their attribute space. onnxruntime's CPU
 * build has Conv and ConvTranspose for float32 only, so these run in float32 with the checker's float32 defaults
 * (ε = 1e-3, rtol = 2e-2, atol = 1e-3).
 */
import { describe, expect, it } from 'vitest';
import { buildGradientGraph } from '../../../src/autodiff/backward.js';
import { assertGradients } from '../../../src/autodiff/check.js';
import { NN_GRAD_RULES } from '../../../src/autodiff/rules/table-nn.js';
import { SecateursError } from '../../../src/errors.js';
import { GraphBuilder, normalTensor, type AttrMap } from '../../../src/ir/builder.js';
import type { Dim, Model } from '../../../src/ir/graph.js';
import { createSession, type TensorData } from '../../../src/runtime/index.js';
import { Rng } from '../../../src/util/rng.js';
import { buildLenet5 } from '../../../src/zoo/lenet.js';

interface ConvCase {
  readonly name: string;
  readonly x: readonly Dim[];
  readonly w: readonly number[];
  readonly attrs?: AttrMap;
  readonly bias?: boolean;
}

function convModel(op: 'Conv' | 'ConvTranspose', c: ConvCase, opset = 17): Model {
  const rng = new Rng(7);
  const b = new GraphBuilder(`${op}-${c.name}`);
  const x = b.input('x', 'float32', c.x);
  const w = b.initializer('w', normalTensor(rng, c.w, 0.5));
  const outC = op === 'Conv' ? c.w[0]! : c.w[1]! * Number(c.attrs?.group ?? 1);
  const bias = c.bias === false ? [] : [b.initializer('b', normalTensor(rng, [outC], 0.5))];
  b.output(b.op(op, [x, w, ...bias], c.attrs ?? {}), { name: 'y', dtype: 'float32' });
  return b.model(opset);
}

const rules = NN_GRAD_RULES;

const CONV: readonly ConvCase[] = [
  { name: 'pads 1', x: [2, 3, 7, 6], w: [4, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  { name: 'strides 2, dilations 2, asymmetric pads', x: [2, 2, 9, 8], w: [3, 2, 3, 2], attrs: { strides: [2, 2], dilations: [2, 2], pads: [0, 1, 2, 0] } },
  { name: 'stride 3 leaves trailing cells (output_padding)', x: [1, 2, 8, 7], w: [2, 2, 3, 3], attrs: { strides: [3, 2] } },
  { name: 'group 2, strides [2, 1], no bias', x: [2, 4, 6, 6], w: [6, 2, 3, 3], attrs: { group: 2, strides: [2, 1] }, bias: false },
  { name: 'depthwise, pads 1', x: [2, 3, 5, 5], w: [3, 1, 3, 3], attrs: { group: 3, pads: [1, 1, 1, 1] } },
  { name: 'depthwise multiplier 2, stride 2', x: [2, 3, 6, 6], w: [6, 1, 3, 3], attrs: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: 'auto_pad SAME_UPPER, stride 2', x: [2, 2, 6, 7], w: [3, 2, 4, 3], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } },
  { name: 'auto_pad SAME_LOWER, stride 2', x: [2, 2, 6, 7], w: [3, 2, 4, 3], attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] } },
  { name: 'auto_pad VALID', x: [2, 2, 5, 5], w: [3, 2, 2, 3], attrs: { auto_pad: 'VALID' } },
  { name: '1x1', x: [2, 5, 4, 4], w: [3, 5, 1, 1] },
  { name: '1x1, stride 2', x: [2, 5, 5, 5], w: [3, 5, 1, 1], attrs: { strides: [2, 2] } },
  { name: '1-D, stride 2, pads [1, 0]', x: [2, 3, 9], w: [2, 3, 3], attrs: { strides: [2], pads: [1, 0] } },
  { name: '1-D, dilation 3', x: [2, 2, 10], w: [2, 2, 2], attrs: { dilations: [3], pads: [2, 2] } },
  { name: '3-D, stride 2, pads 1', x: [1, 2, 5, 4, 5], w: [2, 2, 3, 2, 3], attrs: { strides: [2, 1, 2], pads: [1, 0, 1, 1, 1, 0] } },
  { name: 'symbolic batch', x: ['N', 2, 5, 5], w: [3, 2, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
];

const CONV_TRANSPOSE: readonly ConvCase[] = [
  { name: 'strides 2, pads 1, output_padding 1', x: [2, 3, 4, 4], w: [3, 2, 3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } },
  { name: 'group 2, dilations 2', x: [2, 4, 3, 4], w: [4, 3, 2, 3], attrs: { group: 2, dilations: [2, 2], pads: [0, 1, 1, 0] } },
  { name: 'depthwise, stride 2, no bias', x: [2, 3, 4, 3], w: [3, 1, 3, 3], attrs: { group: 3, strides: [2, 2] }, bias: false },
  { name: 'output_shape', x: [1, 2, 3, 3], w: [2, 2, 3, 3], attrs: { strides: [2, 2], output_shape: [6, 7] } },
  { name: 'auto_pad SAME_UPPER', x: [1, 2, 3, 4], w: [2, 2, 4, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' } },
  { name: 'auto_pad SAME_LOWER', x: [1, 2, 3, 4], w: [2, 2, 4, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_LOWER' } },
  { name: '1-D, stride 3', x: [2, 2, 4], w: [2, 3, 2], attrs: { strides: [3] } },
];

function feedsFor(c: ConvCase) {
  if (!c.x.includes('N')) return undefined;
  const dims = c.x.map((d) => (d === 'N' ? 2 : (d as number)));
  const rng = new Rng(3);
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal());
  return { x: { dtype: 'float32' as const, dims, data } };
}

describe('Conv gradient', () => {
  it.each(CONV.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const feeds = feedsFor(c);
    await assertGradients(convModel('Conv', c), { gradient: { rules }, ...(feeds ? { feeds } : {}) });
  });

  it('works without contrib ops (MatMul of a transposed copy)', async () => {
    const r = await assertGradients(convModel('Conv', CONV[1]!), { gradient: { rules, contribOps: false } });
    expect(r.gradient.model.graph.nodes.some((n) => n.opType === 'FusedMatMul')).toBe(false);
  });

  it('fails naming the node when the spatial dims are symbolic', () => {
    const model = convModel('Conv', { name: 'symbolic', x: ['N', 2, 'H', 'W'], w: [3, 2, 3, 3] });
    expect(() => buildGradientGraph(model, { loss: 'y', wrt: ['w'], rules })).toThrow(
      new SecateursError('AUTODIFF_UNSUPPORTED', "node 'Conv' (ai.onnx Conv, opset 17): the spatial dims of input 'x' must be static " +
        "(found [N, 2, H, W]); fix them with inferShapes before building gradients."));
  });
});

describe('ConvTranspose gradient', () => {
  it.each(CONV_TRANSPOSE.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    await assertGradients(convModel('ConvTranspose', c), { gradient: { rules } });
  });
});

/** LeNet-5-style, smooth but for the pools: Conv 5x5 → MaxPool 2 → Conv 3x3 pads 1 → Flatten → Gemm. */
function lenetStyle(): Model {
  const rng = new Rng(5);
  const b = new GraphBuilder('lenet-style');
  const x = b.input('x', 'float32', [2, 1, 12, 12]);
  const init = (name: string, dims: readonly number[], std: number) => b.initializer(name, normalTensor(rng, dims, std));
  const c1 = b.op('Conv', [x, init('conv1.w', [4, 1, 5, 5], 0.3), init('conv1.b', [4], 0.1)]);
  const p1 = b.op('MaxPool', [c1], { kernel_shape: [2, 2], strides: [2, 2] });
  const c2 = b.op('Conv', [p1, init('conv2.w', [6, 4, 3, 3], 0.3), init('conv2.b', [6], 0.1)], { pads: [1, 1, 1, 1] });
  const flat = b.op('Flatten', [c2], { axis: 1 });
  b.output(b.op('Gemm', [flat, init('fc.w', [10, 96], 0.1), init('fc.b', [10], 0.1)], { transB: 1 }), { name: 'logits', dtype: 'float32' });
  return b.model(17);
}

describe('whole model', () => {
  it('LeNet-5-style Conv → MaxPool → Conv → Flatten → Gemm, every parameter (float32)', async () => {
    const r = await assertGradients(lenetStyle(), { gradient: { rules } });
    expect(r.entries.map((e) => e.name)).toEqual(['x', 'conv1.w', 'conv1.b', 'conv2.w', 'conv2.b', 'fc.w', 'fc.b']);
  });

  it('builds and runs the gradient graph of the zoo LeNet-5 (431k parameters)', async () => {
    const model = buildLenet5({ batch: 4, seed: 1 });
    const wrt = model.graph.initializers.map((v) => v.name);
    const { model: grad, params } = buildGradientGraph(model, { loss: 'logits', wrt, rules });
    const s = await createSession(grad);
    const feeds: Record<string, TensorData> = { input: { dtype: 'float32', dims: [4, 1, 28, 28], data: new Float32Array(4 * 784).fill(0.5) } };
    for (const p of params) feeds[p.name] = { dtype: 'float32', dims: p.initial!.dims, data: p.initial!.view() };
    const out = await s.run(feeds);
    await s.release();
    for (const p of params) {
      expect(out[p.grad]!.dims).toEqual(p.initial!.dims);
      expect(Array.from(out[p.grad]!.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
  });
});
