import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/graph.js';
import { inspectFusion, quantizeModel } from '../../src/quantize/index.js';
import { compareModels } from '../../src/runtime/index.js';
import { Rng } from '../../src/util/rng.js';
import { accuracyAndError, lenet300, mnistTest } from './helpers.js';

let mlp: Model;
let test: Dataset;

beforeAll(async () => {
  [mlp, test] = await Promise.all([lenet300(), mnistTest(2000)]);
});

/** x [N, 128] → MatMul [128, 64] → Relu → MatMul [64, 10], at ai.onnx opset 21 (int4 DequantizeLinear). */
function matmulModel(): Model {
  const rng = new Rng(11);
  const b = new GraphBuilder('mm');
  const x = b.input('x', 'float32', ['N', 128]);
  const w1 = b.constF32('w1', [128, 64], Float32Array.from({ length: 128 * 64 }, () => rng.normal() * 0.1));
  const w2 = b.constF32('w2', [64, 10], Float32Array.from({ length: 640 }, () => rng.normal() * 0.1));
  const h = b.op('Relu', [b.op('MatMul', [x, w1], {}, { name: 'mm1' })]);
  b.output(b.op('MatMul', [h, w2], {}, { name: 'mm2' }), { name: 'y', dtype: 'float32', shape: ['N', 10] });
  return b.model(21);
}

describe('weight-only quantization', () => {
  it('int4 MatMulNBits (blocks of 32) runs in onnxruntime and stays close on LeNet-300-100', async () => {
    const r = await quantizeModel(mlp, { mode: 'weight-only', bits: 4 });
    expect(r.layers.map((l) => l.scheme)).toEqual(new Array(3).fill('uint4 blocks of 32, float compute (MatMulNBits)'));
    expect(r.model.opsets.get('com.microsoft')).toBe(1);
    const f = await inspectFusion(r.model);
    expect(f.fused).toEqual({ MatMulNBits: 3 });
    const m = await accuracyAndError(mlp, r.model, test);
    expect(Math.abs(m.quant - m.ref)).toBeLessThanOrEqual(0.01);
    expect(m.relRmse).toBeLessThan(0.1);
  });

  it('int8 DequantizeLinear per channel (the 8-bit default) is within 1% relative RMSE', async () => {
    const r = await quantizeModel(mlp, { mode: 'weight-only' });
    expect(r.layers[0]!.scheme).toBe('int8 per-channel (axis 0), float compute (DequantizeLinear)');
    const m = await accuracyAndError(mlp, r.model, test);
    expect(m.quant).toBeCloseTo(m.ref, 2);
    expect(m.relRmse).toBeLessThan(0.01);
    const nbits = await quantizeModel(mlp, { mode: 'weight-only', bits: 8, format: 'matmulnbits' });
    expect((await accuracyAndError(mlp, nbits.model, test)).relRmse).toBeLessThan(0.01);
  });

  it('int4 DequantizeLinear with blocks (opset 21) is standard ONNX that onnxruntime fuses into MatMulNBits', async () => {
    const model = matmulModel();
    const r = await quantizeModel(model, { mode: 'weight-only', bits: 4, format: 'qdq', blockSize: 16 });
    const w1 = r.model.graph.initializers.find((v) => v.name === 'w1_quantized')!;
    expect([w1.constant!.dtype, w1.constant!.dims]).toEqual(['int4', [128, 64]]);
    expect(r.model.graph.initializers.find((v) => v.name === 'w1_scale')!.constant!.dims).toEqual([8, 64]);
    const f = await inspectFusion(r.model);
    expect(f.fused['MatMulNBits']).toBeGreaterThanOrEqual(1);
    const rng = new Rng(3);
    const feeds = { x: { dtype: 'float32' as const, dims: [16, 128], data: Float32Array.from({ length: 2048 }, () => rng.normal()) } };
    const c = await compareModels(model, r.model, feeds);
    expect(c.meanCosine).toBeGreaterThan(0.98);
  });
});
