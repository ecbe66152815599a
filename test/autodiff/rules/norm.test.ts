/**
 * Normalization gradients and the training-mode BatchNormalization rewrite. BatchNormalization and the rewrite's ops
 * have float64 kernels (checked at ε = 1e-6, rtol = 1e-6, atol = 1e-9). LayerNormalization runs in float64 too; its
 * Mean/InvStdDev are stashed in float32 (stash_type 1) and cast back, which still passes rtol 1e-6. Conv and
 * InstanceNormalization are float32 only (ε = 1e-3, rtol = 2e-2, atol = 1e-3).
 */
import { describe, expect, it } from 'vitest';
import { buildGradientGraph } from '../../../src/autodiff/backward.js';
import { withLoss } from '../../../src/autodiff/losses.js';
import { assertGradients } from '../../../src/autodiff/check.js';
import { batchNormToTraining, updateRunningStats } from '../../../src/autodiff/rules/norm.js';
import { NN_GRAD_RULES } from '../../../src/autodiff/rules/table-nn.js';
import { SecateursError } from '../../../src/errors.js';
import { GraphBuilder, normalTensor } from '../../../src/ir/builder.js';
import type { DataType } from '../../../src/ir/dtype.js';
import type { Model } from '../../../src/ir/graph.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { createSession, type TensorData } from '../../../src/runtime/index.js';
import { Rng } from '../../../src/util/rng.js';

const rules = NN_GRAD_RULES;

function tensor(rng: Rng, dtype: DataType, dims: readonly number[], f: (z: number) => number = (z) => z): Tensor {
  return Tensor.fromArray(dtype, dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => f(rng.normal())));
}

/** X → BatchNormalization(scale, bias, running mean, running var) → y. */
function bnModel(x: readonly number[], dtype: DataType, opset = 17, attrs: Record<string, number> = {}): Model {
  const rng = new Rng(11);
  const b = new GraphBuilder('bn');
  const input = b.input('x', dtype, x);
  const c = x[1]!;
  const params = [['scale', (z: number) => 1 + 0.3 * z], ['bias', (z: number) => z], ['mean', (z: number) => 0.5 * z], ['var', (z: number) => 0.5 + z * z]] as const;
  const inits = params.map(([n, f]) => b.initializer(n, tensor(rng, dtype, [c], f)));
  b.output(b.op('BatchNormalization', [input, ...inits], { epsilon: 1e-3, ...attrs }, { name: 'bn1' }), { name: 'y', dtype });
  return b.model(opset);
}

describe('BatchNormalization, inference mode (float64)', () => {
  it.each([['[N, C, H, W]', [2, 3, 4, 5]], ['[N, C]', [4, 3]], ['[N, C, L]', [2, 3, 6]]] as const)('%s', async (_, x) => {
    const r = await assertGradients(bnModel(x, 'float64'), { wrt: ['x', 'scale', 'bias'], gradient: { rules } });
    expect(r.precision).toBe('float64');
  });

  // The model declares opset 15; gradient graphs raise 13-15 to 16 (scatter-add), which the message reports.
  it('fails for training_mode=1, pointing at batchNormToTraining', () => {
    const model = bnModel([2, 3, 4, 4], 'float32', 15, { training_mode: 1 });
    expect(() => buildGradientGraph(model, { loss: 'y', wrt: ['x'], rules })).toThrow(new SecateursError('AUTODIFF_UNSUPPORTED',
      "node 'bn1' (ai.onnx BatchNormalization, opset 16): only inference-mode, spatial BatchNormalization has a rule; " +
      'rewrite training with batchNormToTraining(model), which computes batch statistics with standard ops.'));
  });
});

describe('batchNormToTraining', () => {
  it('computes batch statistics, exposes them as bnstat outputs and keeps the output name', async () => {
    const { model, stats } = batchNormToTraining(bnModel([3, 2, 2, 3], 'float64'));
    expect(stats).toEqual([{ node: 'bn1', mean: 'bnstat/bn1/mean', var: 'bnstat/bn1/var', runningMean: 'mean', runningVar: 'var', momentum: 0.9, spatialSize: 6 }]);
    expect(model.graph.outputs.map((v) => v.name)).toEqual(['y', 'bnstat/bn1/mean', 'bnstat/bn1/var']);
    expect(model.graph.nodes.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    const x = tensor(new Rng(5), 'float64', [3, 2, 2, 3]).view() as Float64Array;
    const s = await createSession(model);
    const out = await s.run({ x: { dtype: 'float64', dims: [3, 2, 2, 3], data: x } });
    await s.release();
    const scale = model.graph.value('scale')!.constant!.toNumbers(), bias = model.graph.value('bias')!.constant!.toNumbers();
    for (let c = 0; c < 2; c++) {
      const idx = [0, 1, 2].flatMap((n) => Array.from({ length: 6 }, (_, k) => n * 12 + c * 6 + k));
      const mean = idx.reduce((a, i) => a + x[i]!, 0) / 18;
      const variance = idx.reduce((a, i) => a + (x[i]! - mean) ** 2, 0) / 18;
      expect((out['bnstat/bn1/mean']!.data as Float64Array)[c]).toBeCloseTo(mean, 12);
      expect((out['bnstat/bn1/var']!.data as Float64Array)[c]).toBeCloseTo(variance, 12);
      const y0 = (x[idx[0]!]! - mean) / Math.sqrt(variance + 1e-3) * scale[c]! + bias[c]!;
      expect((out.y!.data as Float64Array)[idx[0]!]).toBeCloseTo(y0, 12);
    }
  });

  it('gives gradients through the batch statistics (float64)', async () => {
    const { model } = batchNormToTraining(bnModel([3, 2, 3, 3], 'float64'));
    await assertGradients(model, { wrt: ['x', 'scale', 'bias'], outputs: ['y'], gradient: { rules } });
  });

  it('trains a Conv → BatchNormalization → Relu block (float32)', async () => {
    const rng = new Rng(2);
    const b = new GraphBuilder('block');
    const x = b.input('x', 'float32', [4, 2, 5, 5]);
    const conv = b.op('Conv', [x, b.initializer('conv.w', normalTensor(rng, [3, 2, 3, 3], 0.4))], { pads: [1, 1, 1, 1] });
    const bnInputs = [['bn.scale', 1], ['bn.bias', 0.1], ['bn.mean', 0], ['bn.var', 1]] as const;
    const bn = b.op('BatchNormalization', [conv, ...bnInputs.map(([n, v]) => b.initializer(n, normalTensor(rng, [3], 0.1, v)))], {}, { name: 'bn' });
    b.output(b.op('Relu', [bn]), { name: 'y', dtype: 'float32' });
    const { model, stats } = batchNormToTraining(b.model(17));
    expect(stats.map((s) => s.mean)).toEqual(['bnstat/bn/mean']);
    await assertGradients(model, { wrt: ['x', 'conv.w', 'bn.scale', 'bn.bias'], outputs: ['y'], gradient: { rules } });
  });

  it('refuses a node whose running-stat outputs are used', () => {
    const b = new GraphBuilder('bn-train');
    const x = b.input('x', 'float32', [2, 2, 3, 3]);
    const ps = ['s', 'b', 'm', 'v'].map((n) => b.initializer(n, Tensor.fromArray('float32', [2], [1, 1])));
    const [y, rm] = b.opN('BatchNormalization', [x, ...ps], 3, { training_mode: 1 }, { name: 'bn' });
    b.output(y!, { name: 'y', dtype: 'float32' });
    b.output(rm!, { name: 'running_mean', dtype: 'float32' });
    expect(() => batchNormToTraining(b.model(15))).toThrow(new SecateursError('AUTODIFF_UNSUPPORTED',
      "batchNormToTraining(graph 'bn-train'): node 'bn': its running-stat outputs (training_mode=1) are used; read the bnstat/* outputs instead."));
  });
});

describe('a training step with batch statistics', () => {
  it('withLoss + gradient graph + SGD lowers the loss; bnstat outputs update the running stats', async () => {
    const rng = new Rng(3);
    const b = new GraphBuilder('bn-net');
    const x = b.input('x', 'float32', [8, 1, 6, 6]);
    const conv = b.op('Conv', [x, b.initializer('conv.w', normalTensor(rng, [4, 1, 3, 3], 0.5))]);
    const bnInputs = [['bn.scale', 1], ['bn.bias', 0], ['bn.mean', 0], ['bn.var', 1]] as const;
    const bn = b.op('BatchNormalization', [conv, ...bnInputs.map(([n, v]) => b.initializer(n, normalTensor(rng, [4], 0, v)))], {}, { name: 'bn' });
    const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [b.op('Relu', [bn])])], { axis: 1 });
    b.output(b.op('Gemm', [pooled, b.initializer('fc.w', normalTensor(rng, [3, 4], 0.5))], { transB: 1 }), { name: 'logits', dtype: 'float32', shape: [8, 3] });
    const { model: train, stats } = batchNormToTraining(b.model(17));
    const { model: lossModel, loss } = withLoss(train, { kind: 'cross-entropy', logits: 'logits' });
    const params = ['conv.w', 'bn.scale', 'bn.bias', 'fc.w'];
    const grad = buildGradientGraph(lossModel, { loss, wrt: params, rules });
    expect(grad.model.graph.outputs.map((v) => v.name)).toEqual(expect.arrayContaining(['bnstat/bn/mean', 'bnstat/bn/var']));
    const values = new Map(grad.params.map((p) => [p.name, Float32Array.from(p.initial!.view() as Float32Array)]));
    const feeds: Record<string, TensorData> = {
      x: { dtype: 'float32', dims: [8, 1, 6, 6], data: tensor(new Rng(1), 'float32', [8, 1, 6, 6]).view() },
      labels: { dtype: 'int64', dims: [8], data: BigInt64Array.from([0, 1, 2, 0, 1, 2, 0, 1], BigInt) },
    };
    const s = await createSession(grad.model);
    const losses: number[] = [];
    let out: Record<string, TensorData> = {};
    for (let step = 0; step < 5; step++) {
      for (const p of grad.params) feeds[p.name] = { dtype: 'float32', dims: p.initial!.dims, data: values.get(p.name)! };
      out = await s.run(feeds);
      losses.push((out[loss]!.data as Float32Array)[0]!);
      for (const p of grad.params) {
        const w = values.get(p.name)!, gw = out[p.grad]!.data as Float32Array;
        for (let i = 0; i < w.length; i++) w[i] = w[i]! - 0.5 * gw[i]!;
      }
    }
    await s.release();
    expect(losses[4]!).toBeLessThan(losses[0]!);
    const stat = stats[0]!;
    const running = { mean: new Float32Array(4), var: new Float32Array(4).fill(1) };
    const batch = { mean: out[stat.mean]!.data as Float32Array, var: out[stat.var]!.data as Float32Array };
    updateRunningStats(running, batch, { momentum: stat.momentum, count: 8 * stat.spatialSize! });
    expect(running.mean[2]).toBeCloseTo(0.1 * batch.mean[2]!, 6);
    expect(running.var[2]).toBeCloseTo(0.9 + 0.1 * batch.var[2]! * (128 / 127), 6);
  });
});

describe('updateRunningStats', () => {
  it('follows PyTorch: momentum 0.9 (ONNX) and the unbiased variance', () => {
    const running = { mean: new Float32Array([0, 1]), var: new Float32Array([1, 2]) };
    updateRunningStats(running, { mean: [1, 3], var: [0.5, 4] }, { momentum: 0.9, count: 5 });
    expect(Array.from(running.mean)).toEqual([0.1, 1.2].map(Math.fround));
    expect(running.var[0]).toBeCloseTo(0.9 + 0.1 * 0.5 * 1.25, 6);
    expect(running.var[1]).toBeCloseTo(1.8 + 0.1 * 4 * 1.25, 6);
    expect(() => updateRunningStats(running, { mean: [1], var: [1] }, { momentum: 0.9, count: 5 })).toThrow(RangeError);
  });
});

function lnModel(x: readonly number[], axis: number, scaleDims: readonly number[], bias: boolean): Model {
  const rng = new Rng(4);
  const b = new GraphBuilder('ln');
  const input = b.input('x', 'float64', x);
  const ins = [input, b.initializer('scale', tensor(rng, 'float64', scaleDims, (z) => 1 + 0.3 * z))];
  if (bias) ins.push(b.initializer('bias', tensor(rng, 'float64', scaleDims)));
  b.output(b.op('LayerNormalization', ins, { axis, epsilon: 1e-4 }), { name: 'y', dtype: 'float64' });
  return b.model(17);
}

describe('LayerNormalization (float64, float32 statistics)', () => {
  it.each([
    ['axis -1', [2, 3, 5], -1, [5], true],
    ['axis 1, full scale, no bias', [2, 3, 4], 1, [3, 4], false],
    ['axis 1, broadcast scale [1, 4]', [2, 3, 4], 1, [1, 4], true],
  ] as const)('%s', async (_, x, axis, scale, bias) => {
    await assertGradients(lnModel(x, axis, scale, bias), { gradient: { rules } });
  });
});

describe('InstanceNormalization (float32)', () => {
  it.each([['2-D', [2, 3, 4, 5]], ['1-D', [3, 2, 7]]] as const)('%s', async (_, x) => {
    const rng = new Rng(8);
    const b = new GraphBuilder('in');
    const input = b.input('x', 'float32', x);
    const s = b.initializer('scale', normalTensor(rng, [x[1]!], 0.3, 1));
    const bias = b.initializer('bias', normalTensor(rng, [x[1]!], 1));
    b.output(b.op('InstanceNormalization', [input, s, bias], { epsilon: 1e-3 }), { name: 'y', dtype: 'float32' });
    await assertGradients(b.model(17), { gradient: { rules } });
  });
});
