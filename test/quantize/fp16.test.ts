import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Model, Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { loadModel } from '../../src/onnx/index.js';
import { FP16_CPU_OPS, quantizeModel } from '../../src/quantize/index.js';
import { compareModels, createSession, fillerFeeds } from '../../src/runtime/index.js';
import { Rng } from '../../src/util/rng.js';
import { accuracyAndError, lenet5, mnistTest } from './helpers.js';

/** The ops onnxruntime wraps in Casts to float32 when it loads a one-node float16 model (no float16 kernel). */
async function castByOrt(model: Model): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'secateurs-fp16-'));
  try {
    const file = join(dir, 'opt.onnx');
    const s = await createSession(model, { optimization: 'disabled', optimizedModelPath: file });
    await s.release();
    return (await loadModel(file)).graph.nodes.some((n) => n.opType === 'Cast');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const half = (b: GraphBuilder, name: string, dims: number[], v = 0.5): Value =>
  b.initializer(name, Tensor.fromArray('float16', dims, new Array<number>(dims.reduce((a, c) => a * c, 1)).fill(v)));

/** One-node float16 models (x: float16 [1, 4, 8, 8]) for a few ops of the table and a few outside it. */
const SINGLE: Readonly<Record<string, (b: GraphBuilder, x: Value) => Value>> = {
  Reshape: (b, x) => b.op('Reshape', [x, b.constI64('shape', [1, -1])]),
  Transpose: (b, x) => b.op('Transpose', [x], { perm: [0, 2, 3, 1] }),
  Concat: (b, x) => b.op('Concat', [x, x], { axis: 1 }),
  Clip: (b, x) => b.op('Clip', [x, half(b, 'lo', [], 0), half(b, 'hi', [], 6)]),
  LayerNormalization: (b, x) => b.op('LayerNormalization', [x, half(b, 'g', [8], 1), half(b, 'b', [8], 0)]),
  Gather: (b, x) => b.op('Gather', [x, b.constI64('idx', [0, 2])], { axis: 1 }),
  Conv: (b, x) => b.op('Conv', [x, half(b, 'w', [4, 4, 3, 3])]),
  MatMul: (b, x) => b.op('MatMul', [x, half(b, 'w', [8, 8])]),
  Relu: (b, x) => b.op('Relu', [x]),
  Add: (b, x) => b.op('Add', [x, x]),
};

describe('fp16 conversion', () => {
  it('float16 kernel table: listed ops run natively in onnxruntime CPU, arithmetic layers are cast to float32', async () => {
    for (const [op, make] of Object.entries(SINGLE)) {
      const b = new GraphBuilder('one');
      b.output(make(b, b.input('x', 'float16', [1, 4, 8, 8])), { name: 'y' });
      expect({ op, cast: await castByOrt(b.model(17)) }).toEqual({ op, cast: !FP16_CPU_OPS.includes(op) });
    }
  });

  it('halves LeNet-5, keeps float32 inputs and outputs, loads and runs in onnxruntime within 1e-3 relative RMSE', async () => {
    const model = await lenet5();
    const r = await quantizeModel(model, { mode: 'fp16' });
    const g = r.model.graph;
    expect(g.inputs.map((v) => [v.name, v.dtype])).toEqual([['input', 'float32']]);
    expect(g.outputs.map((v) => [v.name, v.dtype])).toEqual([['logits', 'float32']]);
    expect(g.initializers.filter((v) => v.constant!.size >= 16).every((v) => v.constant!.dtype === 'float16')).toBe(true);
    // On this CPU build no LeNet-5 op has a float16 kernel: weights are float16, arithmetic float32.
    expect(r.fp16).toEqual({ float16Nodes: 0, float32Nodes: { Conv: 2, MaxPool: 2, Flatten: 1, Gemm: 2, Relu: 1 } });
    const m = await accuracyAndError(model, r.model, await mnistTest(1000));
    expect(m.quant).toBe(m.ref);
    expect(m.relRmse).toBeLessThan(1e-3);
  });

  it('computes in float16 where allowed and casts once at the graph boundary', async () => {
    const rng = new Rng(5);
    const b = new GraphBuilder('mix');
    const x = b.input('x', 'float32', ['N', 16]);
    const w = b.constF32('w', [16, 16], Float32Array.from({ length: 256 }, () => rng.normal() * 0.25));
    const h = b.op('Clip', [b.op('MatMul', [x, w], {}, { name: 'mm' })], {}, { name: 'clip' });
    const y = b.op('Reshape', [b.op('Transpose', [h], { perm: [1, 0] }), b.constI64('shape', [16, -1])]);
    b.output(b.op('Relu', [y]), { name: 'y', dtype: 'float32', shape: [16, 'N'] });
    const model = b.model(17);
    const r = await quantizeModel(model, { mode: 'fp16' });
    // Clip, Transpose and Reshape form a float16 region between two float32 ops: one Cast in, one Cast out.
    expect(r.fp16!.float16Nodes).toBe(3);
    expect(r.model.graph.nodes.filter((n) => n.opType === 'Cast').length).toBe(3);
    const c = await compareModels(model, r.model, fillerFeeds(model, new Rng(1)));
    expect(c.maxAbsDiff).toBeLessThan(1e-2);
    const kept = await quantizeModel(model, { mode: 'fp16', keepFp32: ['Clip'] });
    expect(kept.fp16!.float16Nodes).toBe(2);
  });
});
