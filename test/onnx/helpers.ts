import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll } from 'vitest';
import type { Attribute, Graph, Model, Value } from '../../src/ir/graph.js';
import { createModel, Graph as IRGraph } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A fresh temporary folder, removed after the test file. */
export function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'secateurs-onnx-'));
  dirs.push(d);
  return d;
}

/** Deterministic pseudo-random float32 values. */
export function floats(n: number, seed = 1, zeroEvery = 0): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = zeroEvery && i % zeroEvery !== 0 ? 0 : (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Deterministic pseudo-random bytes. */
export function randomBytesOf(n: number, seed = 7): Uint8Array {
  const f = floats(Math.ceil(n / 4), seed);
  return new Uint8Array(f.buffer, 0, n).slice();
}

/** x[N,4] -> Gemm(W[3,4], transB) -> Relu -> y, with an extra Mul by a scalar initializer. */
export function mlpModel(): Model {
  const g = new IRGraph('mlp');
  const x = g.addInput('x', 'float32', ['N', 4]);
  const w = g.addInitializer('W', Tensor.fromTyped('float32', [3, 4], floats(12, 3)));
  const b = g.addInitializer('B', Tensor.fromTyped('float32', [3], floats(3, 4)));
  const gemm = g.addNode('Gemm', [x, w, b], { name: 'gemm', attributes: { transB: { type: 'int', value: 1 }, alpha: { type: 'float', value: 0.5 } } });
  const relu = g.addNode('Relu', [gemm.output(0)!], { name: 'relu', outputs: ['y'] });
  const y = relu.output(0)!;
  y.dtype = 'float32';
  y.shape = ['N', 3];
  g.outputs.push(y);
  return createModel(g, 17);
}

/** A structural description of a graph: nodes, attributes, values with dtypes/shapes, tensor bytes hashed. */
export function describeGraph(g: Graph): unknown {
  const value = (v: Value | null) => (v ? { name: v.name, dtype: v.dtype ?? null, shape: v.shape ?? null, doc: v.docString } : null);
  return {
    name: g.name,
    doc: g.docString,
    inputs: g.inputs.map(value),
    outputs: g.outputs.map(value),
    initializers: g.initializers.map((v) => ({ ...value(v), storage: v.storage, tensor: describeTensor(v.constant!) })),
    nodes: g.nodes.map((n) => ({
      name: n.name, opType: n.opType, domain: n.domain, doc: n.docString,
      inputs: n.inputs.map((v) => v?.name ?? null), outputs: n.outputs.map((v) => v?.name ?? null),
      attributes: [...n.attributes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, a]) => [k, describeAttribute(a)]),
    })),
    values: [...g.allValues()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(value),
  };
}

function describeAttribute(a: Attribute): unknown {
  switch (a.type) {
    case 'tensor': return { tensor: describeTensor(a.value) };
    case 'tensors': return { tensors: a.value.map(describeTensor) };
    case 'graph': return { graph: describeGraph(a.value) };
    case 'graphs': return { graphs: a.value.map(describeGraph) };
    case 'opaque': return { opaque: Buffer.from(a.value).toString('hex') };
    default: return a;
  }
}

/** dtype, dims and a hash of the exact bytes (or strings). */
export function describeTensor(t: Tensor): unknown {
  const h = createHash('sha256');
  if (t.dtype === 'string') t.strings().forEach((s) => h.update(s).update('\0'));
  else h.update(t.bytes());
  return { dtype: t.dtype, dims: t.dims, sha: h.digest('hex').slice(0, 16) };
}

/** Runs a model (bytes or path) in onnxruntime on float32 feeds; returns every output's raw bytes by name. */
export async function runOrt(model: Uint8Array | string, feeds: Record<string, { dims: number[]; data: Float32Array }>): Promise<Record<string, Uint8Array>> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  const inputs: Record<string, ort.Tensor> = {};
  for (const [k, f] of Object.entries(feeds)) inputs[k] = new ort.Tensor('float32', f.data, f.dims);
  const out = await session.run(inputs);
  const result: Record<string, Uint8Array> = {};
  for (const [k, t] of Object.entries(out)) {
    const d = t.data as ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
    result[k] = new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  }
  await session.release();
  return result;
}
