import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/index.js';
import { SecateursError } from '../../src/errors.js';
import { encodeModel } from '../../src/onnx/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { quantizeModel, type QuantizeOptions } from '../../src/quantize/index.js';

const model = buildZooModel('lenet-300-100', { seed: 1 });

/** A calibration source whose samples must never be read: option errors have to come first. */
function untouchable(sampleShape: number[], count = 8): Dataset {
  const x = new Float32Array(count * sampleShape.reduce((a, b) => a * b, 1));
  const guarded = new Proxy(x, { get: (t, k) => (typeof k === 'string' && /^\d+$/.test(k) ? fail() : Reflect.get(t, k, t)) });
  return { name: 'guarded', split: 'train', x: guarded as Float32Array, y: new Int32Array(count), count, sampleShape, numClasses: 10 };
}
const fail = (): never => { throw new Error('calibration samples were read before the options were checked'); };

async function error(o: QuantizeOptions): Promise<SecateursError> {
  const e = await quantizeModel(model, o).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(SecateursError);
  return e as SecateursError;
}

describe('quantizeModel refuses bad requests before any work', () => {
  it('names an unknown mode and the valid ones', async () => {
    const e = await error({ mode: 'turbo' as QuantizeOptions['mode'] });
    expect([e.code, e.message]).toEqual(['QUANT_OPTIONS', "unknown quantization mode 'turbo'; valid modes: dynamic, static, fp16, weight-only."]);
  });

  it('refuses bits 3, and 4 outside weight-only', async () => {
    expect((await error({ mode: 'dynamic', bits: 3 })).message).toBe("quantize (dynamic): 'bits' must be 8 for mode dynamic, got 3");
    expect((await error({ mode: 'weight-only', bits: 3 })).message).toBe("quantize (weight-only): 'bits' must be 8 or 4 for mode weight-only, got 3");
    expect((await error({ mode: 'static', bits: 4, calibration: { data: untouchable([1, 28, 28]) } })).message).toContain("got 4 (4 bits only with weight-only)");
  });

  it('reports calibration samples that do not fit the model input, with both shapes', async () => {
    const e = await error({ mode: 'static', calibration: { data: untouchable([3, 32, 32]) } });
    expect(e.message).toBe("quantize (static): calibration samples are [3, 32, 32] (3072 values) but model input 'input' expects [N, 1, 28, 28] (784 values per sample)");
  });

  it('lists every problem of one request together', async () => {
    const e = await error({
      mode: 'static', bits: 3, weightType: 'int16' as 'int8', format: 'qdq', exclude: { names: ['fc9/Gemm'] },
      calibration: { data: untouchable([1, 28, 28]), method: 'mse' as 'minmax', percentile: 30 },
    });
    expect(e.message.split('\n').slice(1)).toEqual([
      "  - 'format' applies to mode weight-only only, not static",
      "  - 'bits' must be 8 for mode static, got 3",
      "  - 'weightType' must be int8 or uint8, got 'int16'",
      "  - 'exclude' names node 'fc9/Gemm', which the graph does not have",
      "  - 'calibration.method' must be one of minmax, percentile, entropy, got 'mse'",
      "  - 'calibration.percentile' must be in (50, 100], got 30",
    ]);
  });

  it('says static needs calibration, and what cannot be combined with weight-only int4', async () => {
    expect((await error({ mode: 'static' })).message).toBe("quantize (static): mode static needs 'calibration' (samples to measure activation ranges on)");
    expect((await error({ mode: 'weight-only', bits: 4, format: 'qdq' })).message)
      .toBe("quantize (weight-only): int4 DequantizeLinear needs ai.onnx opset 21, the model imports 17; use format 'matmulnbits' (com.microsoft, any opset)");
    expect((await error({ mode: 'weight-only', bits: 4, blockSize: 24 })).message).toBe("quantize (weight-only): 'blockSize' for MatMulNBits must be a power of 2 >= 16, got 24");
    expect((await error({ mode: 'dynamic', opTypes: ['ConvTranspose', 'Relu'] })).message).toContain("op type 'Relu' cannot be quantized in mode dynamic (valid: Conv, Gemm, MatMul; default: Conv, Gemm, MatMul)");
  });

  it('says when exclusions leave nothing to quantize, listing each layer and why', async () => {
    const e = await error({ mode: 'dynamic', exclude: { patterns: [/^fc[12]/], opTypes: [] , names: ['fc3/Gemm'] } });
    expect([e.code, e.message]).toEqual(['QUANT_NOTHING',
      "nothing to quantize in graph 'lenet-300-100' (mode dynamic): every candidate was skipped: 'fc1/Gemm' (Gemm): excluded; 'fc2/Gemm' (Gemm): excluded; 'fc3/Gemm' (Gemm): excluded."]);
  });

  it('leaves the input model untouched and keeps output names and types', async () => {
    const before = model.graph.nodes.map((n) => n.opType).join();
    const r = await quantizeModel(model, { mode: 'dynamic' });
    expect(model.graph.nodes.map((n) => n.opType).join()).toBe(before);
    expect(r.model.graph.outputs.map((v) => [v.name, v.dtype, v.shape])).toEqual(model.graph.outputs.map((v) => [v.name, v.dtype, v.shape]));
    expect(r.model.graph.inputs.map((v) => v.name)).toEqual(['input']);
  });

  it('gives byte-identical models for the same inputs', async () => {
    const data = { ...untouchable([1, 28, 28]), x: Float32Array.from({ length: 8 * 784 }, (_, i) => (i % 97) / 97) };
    const [a, b] = [await quantizeModel(model, { mode: 'static', calibration: { data } }), await quantizeModel(model, { mode: 'static', calibration: { data } })];
    expect(encodeModel(a.model)).toEqual(encodeModel(b.model));
  });
});
