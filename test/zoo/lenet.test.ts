import { describe, expect, it } from 'vitest';
import type { Model } from '../../src/ir/graph.js';
import { buildLenet300100, buildLenet5 } from '../../src/zoo/lenet.js';
import { randomImages, runLogits } from './helpers.js';

function weights(model: Model, name: string): Float32Array {
  return model.graph.requireValue(name).constant!.toFloat32();
}

/** y[b, o] = Σ_i x[b, i]·W[o, i] + bias[o] (Gemm with transB=1), optionally Relu. */
function linear(x: Float32Array, batch: number, w: Float32Array, bias: Float32Array, relu: boolean): Float32Array {
  const out = bias.length;
  const inF = w.length / out;
  const y = new Float32Array(batch * out);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < out; o++) {
      let s = bias[o]!;
      for (let i = 0; i < inF; i++) s += x[b * inF + i]! * w[o * inF + i]!;
      y[b * out + o] = relu ? Math.max(0, s) : s;
    }
  }
  return y;
}

describe('lenet-300-100', () => {
  it('runs the doc example', () => {
    expect(buildLenet300100({ seed: 1 }).graph.outputs[0]!.name).toBe('logits');
  });

  it('names its layers fc1..fc3 with [out, in] weights', () => {
    const model = buildLenet300100();
    expect(model.graph.initializers.map((v) => `${v.name}:${v.constant!.dims.join('x')}`)).toEqual([
      'fc1/weight:300x784', 'fc1/bias:300', 'fc2/weight:100x300', 'fc2/bias:100', 'fc3/weight:10x100', 'fc3/bias:10',
    ]);
    expect(model.graph.nodes.map((n) => n.name)).toEqual(['Flatten', 'fc1/Gemm', 'fc1/Relu', 'fc2/Gemm', 'fc2/Relu', 'fc3/Gemm']);
  });

  it('computes in onnxruntime what a hand-written JS forward pass computes', async () => {
    const model = buildLenet300100({ seed: 9 });
    const x = randomImages(3, 77);
    const h1 = linear(x, 3, weights(model, 'fc1/weight'), weights(model, 'fc1/bias'), true);
    const h2 = linear(h1, 3, weights(model, 'fc2/weight'), weights(model, 'fc2/bias'), true);
    const want = linear(h2, 3, weights(model, 'fc3/weight'), weights(model, 'fc3/bias'), false);
    const got = (await runLogits(model, x, 3)).data as Float32Array;
    expect(got.length).toBe(30);
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(0.01);
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5 + 1e-4 * scale));
  });
});

describe('lenet5', () => {
  it('runs the doc example', () => {
    expect(buildLenet5({ batch: 8 }).graph.inputs[0]!.shape).toEqual([8, 1, 28, 28]);
  });

  it('has Caffe LeNet-5 layers: two valid 5x5 convs with 2x2 pooling, Relu only after fc1', () => {
    const model = buildLenet5();
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'MaxPool', 'Conv', 'MaxPool', 'Flatten', 'Gemm', 'Relu', 'Gemm']);
    expect(model.graph.requireValue('conv2/weight').constant!.dims).toEqual([50, 20, 5, 5]);
    expect(model.graph.requireValue('fc1/weight').constant!.dims).toEqual([500, 800]);
    const conv = model.graph.node('conv1/Conv')!;
    expect(conv.attrInts('pads')).toEqual([0, 0, 0, 0]);
    expect(conv.attrInts('kernel_shape')).toEqual([5, 5]);
  });
});
