import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, SparseTensorProtoSchema, TensorProtoSchema } from 'onnx-buf';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Graph, createModel, type Model } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/index.js';
import { describeGraph, floats, runOrt, tempDir } from './helpers.js';

/** x[1,64] -> MatMul(W[64,32], ~90% zeros) -> Add(B[32]) -> y, plus an int64 shape constant. */
function model(): Model {
  const g = new Graph('sparse');
  const x = g.addInput('x', 'float32', [1, 64]);
  const wData = floats(64 * 32, 5, 10);
  wData[3] = -0; // bitwise non-zero: must survive
  const w = g.addInitializer('W', Tensor.fromTyped('float32', [64, 32], wData));
  const b = g.addInitializer('B', Tensor.fromTyped('float32', [32], floats(32, 6)));
  const shape = g.addInitializer('shape', Tensor.fromArray('int64', [2], [1, 32]));
  const h = g.addNode('MatMul', [x, w], { name: 'mm' }).output(0)!;
  const hb = g.addNode('Add', [h, b], { name: 'add' }).output(0)!;
  const y = g.addNode('Reshape', [hb, shape], { name: 'reshape', outputs: ['y'] }).output(0)!;
  y.dtype = 'float32';
  y.shape = [1, 32];
  g.outputs.push(y);
  return createModel(g, 17);
}

const feeds = { x: { dims: [1, 64], data: floats(64, 8) } };
const fields = (bytes: Uint8Array) => {
  const g = fromBinary(ModelProtoSchema, bytes).graph!;
  return { dense: g.initializer.map((t) => t.name), sparse: g.sparseInitializer.map((s) => s.values!.name) };
};

describe('sparse initializers', () => {
  it("write 'sparse' storage as linearized int64 indices and read back the same dense bytes", () => {
    const m = model();
    m.graph.value('W')!.storage = 'sparse';
    const bytes = encodeModel(m);
    expect(fields(bytes)).toEqual({ dense: ['B', 'shape'], sparse: ['W'] });
    const sp = fromBinary(ModelProtoSchema, bytes).graph!.sparseInitializer[0]!;
    expect([sp.indices!.dataType, sp.indices!.dims, sp.dims]).toEqual([7, [BigInt(sp.values!.dims[0]!)], [64n, 32n]]);
    const back = decodeModel(bytes);
    expect(back.graph.value('W')!.storage).toBe('sparse');
    expect(describeGraph(back.graph)).toEqual(describeGraph(asDecoded(m)));
    expect(Object.is(back.graph.value('W')!.constant!.toFloat32()[3], -0)).toBe(true);
    expect(bytes.length).toBeLessThan(encodeModel(model()).length * 0.4);
  });

  it('decode coordinate indices [NNZ, rank] like linear ones', () => {
    const sp = (indices: bigint[], dims: bigint[]) => create(SparseTensorProtoSchema, {
      dims: [2n, 3n],
      values: create(TensorProtoSchema, { name: 'S', dataType: 1, dims: [2n], floatData: [5, 7] }),
      indices: create(TensorProtoSchema, { dataType: 7, dims, int64Data: indices }),
    });
    const base = fromBinary(ModelProtoSchema, encodeModel(model()));
    const dense = (s: ReturnType<typeof sp>) => {
      base.graph!.sparseInitializer = [s];
      return Array.from(decodeModel(toBinary(ModelProtoSchema, base)).graph.value('S')!.constant!.toFloat32());
    };
    expect(dense(sp([1n, 5n], [2n]))).toEqual([0, 5, 0, 0, 0, 7]);
    expect(dense(sp([0n, 1n, 1n, 2n], [2n, 2n]))).toEqual([0, 5, 0, 0, 0, 7]);
    expect(() => dense(sp([1n, 6n], [2n]))).toThrow("sparse initializer 'S': index 6 of non-zero 1 is outside [0, 6).");
  });

  it("with sparse: 'all', store float initializers sparse where that is smaller; 'dense' stores none", () => {
    const m = model();
    expect(fields(encodeModel(m, { sparse: 'all' }))).toEqual({ dense: ['B', 'shape'], sparse: ['W'] });
    m.graph.value('W')!.storage = 'sparse';
    expect(fields(encodeModel(m, { sparse: 'dense' }))).toEqual({ dense: ['W', 'B', 'shape'], sparse: [] });
  });

  it('load in onnxruntime with the same output as the dense model, from bytes and with external data', async () => {
    const dense = await runOrt(encodeModel(model()), feeds);
    const sparse = await runOrt(encodeModel(model(), { sparse: 'all' }), feeds);
    expect(Buffer.from(sparse['y']!).equals(Buffer.from(dense['y']!))).toBe(true);
    const file = path.join(tempDir(), 'm.onnx');
    await saveModel(model(), file, { sparse: 'all', externalData: { threshold: 256 } });
    expect(fs.existsSync(`${file}.data`)).toBe(true);
    const fromFile = await runOrt(file, feeds);
    expect(Buffer.from(fromFile['y']!).equals(Buffer.from(dense['y']!))).toBe(true);
    const back = await loadModel(file);
    expect(back.graph.value('W')!.constant!.isLazy).toBe(true); // densified on first use
    expect(describeGraph(back.graph)).toEqual(describeGraph(asDecoded(model())));
  });
});

/** What decoding gives: W marked sparse and, as sparse_initializer is its own field, listed after the dense ones. */
function asDecoded(m: Model): Graph {
  const w = m.graph.value('W')!;
  w.storage = 'sparse';
  m.graph.initializers.splice(m.graph.initializers.indexOf(w), 1);
  m.graph.initializers.push(w);
  return m.graph;
}
