/**
 * Finite-difference checks of the Conv and ConvTranspose gradients over their attribute space, with the weight
 * gradient pinned to each form (im2col, Conv of batch-transposed tensors), and of the policy that picks the form.
 * onnxruntime's CPU build has Conv and ConvTranspose for float32 only, so these run in float32 with the checker's
 * float32 defaults (ε = 1e-3, rtol = 2e-2, atol = 1e-3).
 */
import { describe, expect, it } from 'vitest';
import { buildGradientGraph } from '../../../src/autodiff/backward.js';
import { assertGradients } from '../../../src/autodiff/check.js';
import { convGrad, convTransposeGrad } from '../../../src/autodiff/rules/conv.js';
import { IM2COL_MAX_BYTES, pickWeightGrad, type WeightGradForm, type WeightGradShape } from '../../../src/autodiff/rules/conv-transposed.js';
import { NN_GRAD_RULES } from '../../../src/autodiff/rules/table-nn.js';
import type { GradRuleEntry } from '../../../src/autodiff/types.js';
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
const FORMS: readonly WeightGradForm[] = ['im2col', 'transposed'];

/** The NN rows with the Conv and ConvTranspose weight gradients pinned to `form`. */
function pinned(form: WeightGradForm): readonly GradRuleEntry[] {
  return NN_GRAD_RULES.map((r) => {
    if (r.opType === 'Conv') return { ...r, rule: convGrad(form) };
    if (r.opType === 'ConvTranspose') return { ...r, rule: convTransposeGrad(form) };
    return r;
  });
}

/** The weight-gradient form a gradient graph used: im2col is the only one with a matrix product. */
function formOf(model: Model): WeightGradForm {
  return model.graph.nodes.some((n) => n.opType === 'FusedMatMul' || n.opType === 'MatMul') ? 'im2col' : 'transposed';
}

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
  { name: '1-D, stride 3, dilation 2, trailing cells', x: [2, 2, 10], w: [3, 2, 3], attrs: { strides: [3], dilations: [2] } },
  { name: 'group 2, dilations [1, 2], asymmetric pads', x: [2, 4, 7, 8], w: [4, 2, 2, 3], attrs: { group: 2, dilations: [1, 2], pads: [1, 0, 0, 2] } },
  { name: 'group 3 of 2 channels, 1-D, stride 2', x: [3, 6, 9], w: [6, 2, 3], attrs: { group: 3, strides: [2], pads: [1, 1] } },
  { name: '3-D, stride 2, pads 1', x: [1, 2, 5, 4, 5], w: [2, 2, 3, 2, 3], attrs: { strides: [2, 1, 2], pads: [1, 0, 1, 1, 1, 0] } },
  { name: 'one window per axis (the transposed form pads past its kernel)', x: [2, 2, 2, 2], w: [3, 2, 3, 3], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } },
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
  { name: 'dilations 2, stride 2, group 2', x: [2, 4, 3, 3], w: [4, 2, 3, 2], attrs: { group: 2, strides: [2, 2], dilations: [2, 2], pads: [1, 0, 0, 1] } },
];

function feedsFor(c: ConvCase) {
  if (!c.x.includes('N')) return undefined;
  const dims = c.x.map((d) => (d === 'N' ? 2 : (d as number)));
  const rng = new Rng(3);
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal());
  return { x: { dtype: 'float32' as const, dims, data } };
}

describe.each(FORMS)('Conv gradient, dW by %s', (form) => {
  it.each(CONV.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const feeds = feedsFor(c);
    const r = await assertGradients(convModel('Conv', c), { gradient: { rules: pinned(form) }, ...(feeds ? { feeds } : {}) });
    // A 1-cell kernel's im2col is a plain product, so only the other kernels tell the forms apart.
    if (c.w.slice(2).some((k) => k > 1)) expect(formOf(r.gradient.model)).toBe(form);
  });

  it('at opset 9 (Slice with attributes)', async () => {
    const c = CONV.find((k) => k.name.startsWith('stride 3 leaves'))!;
    const model = convModel('Conv', c, 9);
    if (form === 'im2col') {
      expect(() => buildGradientGraph(model, { loss: 'y', wrt: ['w'], rules: pinned(form) })).toThrow(/opset 10\+/);
    } else {
      await assertGradients(model, { gradient: { rules: pinned(form) } });
    }
  });
});

describe('Conv gradient', () => {
  it('works without contrib ops (MatMul of a transposed copy)', async () => {
    const r = await assertGradients(convModel('Conv', CONV[1]!), { gradient: { rules: pinned('im2col'), contribOps: false } });
    expect(r.gradient.model.graph.nodes.some((n) => n.opType === 'FusedMatMul')).toBe(false);
  });

  it('fails naming the node when the spatial dims are symbolic', () => {
    const model = convModel('Conv', { name: 'symbolic', x: ['N', 2, 'H', 'W'], w: [3, 2, 3, 3] });
    expect(() => buildGradientGraph(model, { loss: 'y', wrt: ['w'], rules })).toThrow(
      new SecateursError('AUTODIFF_UNSUPPORTED', "node 'Conv' (ai.onnx Conv, opset 17): the spatial dims of input 'x' must be static " +
        "(found [N, 2, H, W]); fix them with inferShapes before building gradients."));
  });
});

describe.each(FORMS)('ConvTranspose gradient, dW by %s', (form) => {
  it.each(CONV_TRANSPOSE.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const r = await assertGradients(convModel('ConvTranspose', c), { gradient: { rules: pinned(form) } });
    expect(formOf(r.gradient.model)).toBe(form);
  });
});

describe('weight-gradient policy', () => {
  const shape = (s: Partial<WeightGradShape> & Pick<WeightGradShape, 'cin' | 'kernel' | 'output'>): WeightGradShape =>
    ({ batch: 64, strides: s.kernel.map(() => 1), ...s });
  it.each([
    ['LeNet-5 conv1 1→20 5x5, N=64', 'transposed', shape({ cin: 1, kernel: [5, 5], output: [24, 24] })],
    ['LeNet-5 conv2 20→50 5x5, N=256', 'transposed', shape({ batch: 256, cin: 20, kernel: [5, 5], output: [8, 8] })],
    ['1x1, stride 2', 'im2col', shape({ cin: 96, kernel: [1, 1], strides: [2, 2], output: [14, 14] })],
    ['depthwise 3x3 96 ch, 28² (165 MiB)', 'transposed', shape({ cin: 96, kernel: [3, 3], output: [28, 28] })],
    ['depthwise 3x3 32 ch, 14², N=16 (3.4 MiB)', 'im2col', shape({ batch: 16, cin: 32, kernel: [3, 3], output: [14, 14] })],
    ['resnet-small stem 1→16 3x3, N=128 (3.4 MiB)', 'im2col', shape({ batch: 128, cin: 1, kernel: [3, 3], output: [28, 28] })],
    ['resnet-small layer1 16→16 3x3, N=128 (55 MiB)', 'transposed', shape({ batch: 128, cin: 16, kernel: [3, 3], output: [28, 28] })],
    ['3x3 stride 2, small buffer', 'transposed', shape({ cin: 4, kernel: [3, 3], strides: [2, 2], output: [7, 7] })],
    ['1-D k3, symbolic batch (as 64)', 'im2col', shape({ batch: 'N', cin: 8, kernel: [3], output: [100] })],
  ] as const)('%s → %s', (_, form, s) => {
    expect(pickWeightGrad(s)).toBe(form);
  });

  it('the TSDoc examples', () => {
    expect(pickWeightGrad({ batch: 64, cin: 20, kernel: [5, 5], strides: [1, 1], output: [8, 8] })).toBe('transposed');
    expect(pickWeightGrad({ batch: 'N', cin: 16, kernel: [3, 3], strides: [1, 1], output: [7, 7] })).toBe('im2col');
  });

  it('switches to the transposed form just above IM2COL_MAX_BYTES', () => {
    const at = (batch: number): WeightGradShape => shape({ batch, cin: 16, kernel: [4, 2], output: [16, 16] }); // 4·8·16·256 B per sample
    expect(IM2COL_MAX_BYTES / (4 * 16 * 8 * 256)).toBe(32);
    expect([pickWeightGrad(at(32)), pickWeightGrad(at(33))]).toEqual(['im2col', 'transposed']);
  });

  it.each([
    ['3x3 stride 1, small buffer', 'im2col', { x: [2, 3, 6, 6], w: [4, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } }],
    ['3x3 stride 1, batch 128 at 28x28', 'transposed', { x: [128, 16, 28, 28], w: [16, 16, 3, 3], attrs: { pads: [1, 1, 1, 1] } }],
    ['3x3 stride 2', 'transposed', { x: [2, 3, 6, 6], w: [4, 3, 3, 3], attrs: { strides: [2, 2] } }],
    ['5x5', 'transposed', { x: [2, 1, 12, 12], w: [4, 1, 5, 5] }],
  ] as const)('the table rule follows it: %s → %s', (name, form, c) => {
    const g = buildGradientGraph(convModel('Conv', { name, ...c }), { loss: 'y', wrt: ['w'], rules });
    expect(formOf(g.model)).toBe(form);
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
