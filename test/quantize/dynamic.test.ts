import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/index.js';
import { cloneModel } from '../../src/ir/clone.js';
import type { Model } from '../../src/ir/graph.js';
import { inspectFusion, quantizeModel } from '../../src/quantize/index.js';
import { accuracyAndError, lenet300, lenet5, mnistTest } from './helpers.js';

let mlp: Model;
let cnn: Model;
let test: Dataset;

beforeAll(async () => {
  [mlp, cnn, test] = await Promise.all([lenet300(), lenet5(), mnistTest(2000)]);
});

describe('dynamic int8 quantization', () => {
  it('keeps a trained LeNet-300-100 within 0.3 points top-1 and 2% relative RMSE on 2,000 test images', async () => {
    const r = await quantizeModel(mlp, { mode: 'dynamic' });
    const m = await accuracyAndError(mlp, r.model, test);
    expect(m.ref).toBeGreaterThan(0.85);
    expect(Math.abs(m.quant - m.ref)).toBeLessThanOrEqual(0.003);
    expect(m.relRmse).toBeLessThan(0.02);
    expect(r.layers.map((l) => l.scheme)).toEqual(new Array(3).fill('int8 reduce-range per-channel, dynamic uint8 activations (MatMulInteger)'));
    expect(r.model.graph.outputs.map((v) => [v.name, v.dtype])).toEqual([['logits', 'float32']]);
  });

  it('is fused by onnxruntime into DynamicQuantizeMatMul (Gemm) and runs ConvInteger with uint8 weights (Conv)', async () => {
    const fc = await inspectFusion((await quantizeModel(mlp, { mode: 'dynamic' })).model);
    expect(fc.fused).toEqual({ DynamicQuantizeMatMul: 3 });
    expect(fc.floatLayers).toEqual([]);
    const r = await quantizeModel(cnn, { mode: 'dynamic' });
    expect(r.layers.map((l) => l.scheme.split(',')[0])).toEqual(['uint8 per-channel', 'uint8 per-channel', 'int8 reduce-range per-channel', 'int8 reduce-range per-channel']);
    const f = await inspectFusion(r.model);
    expect(f.fused).toEqual({ ConvInteger: 2, DynamicQuantizeMatMul: 2 });
    const m = await accuracyAndError(cnn, r.model, test);
    expect(Math.abs(m.quant - m.ref)).toBeLessThanOrEqual(0.003);
    expect(m.relRmse).toBeLessThan(0.02);
  });

  it('folds Gemm alpha and beta into the scales and the bias', async () => {
    const copy = cloneModel(mlp);
    const fc3 = copy.graph.nodes.find((n) => n.name === 'fc3/Gemm')!;
    fc3.attributes.set('alpha', { type: 'float', value: 0.5 });
    fc3.attributes.set('beta', { type: 'float', value: 2 });
    const r = await quantizeModel(copy, { mode: 'dynamic', perChannel: false });
    const m = await accuracyAndError(copy, r.model, test);
    expect(m.relRmse).toBeLessThan(0.03);
  });
});
