import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpz, toFloat32 } from '../../src/data/index.js';
import { verify } from '../../src/ir/passes.js';
import { decodeModel, encodeModel, loadModel } from '../../src/onnx/index.js';
import { summarizeModel } from '../../src/report/summary.js';
import { createSession } from '../../src/runtime/index.js';

const DIR = join(import.meta.dirname, '../../fixtures/pytorch');

/** Each fixture with the tolerance (relative to the largest output) of onnxruntime against PyTorch. */
const FIXTURES = [
  { name: 'mlp', tol: 1e-5 },
  { name: 'cnn_bn', tol: 1e-5 },
  { name: 'resnet18', tol: 1e-4 },
  { name: 'transformer_layer', tol: 1e-5 },
  { name: 'convnet_constant', tol: 1e-5 },
] as const;

async function run(model: Parameters<typeof createSession>[0], input: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await createSession(model);
  try {
    const out = await s.run({ [s.inputNames[0]!]: { dtype: 'float32', dims, data: input } });
    return out[s.outputNames[0]!]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe.each(FIXTURES)('PyTorch fixture $name', ({ name, tol }) => {
  const file = join(DIR, `${name}.onnx`);

  it('loads, verifies, and runs in onnxruntime with the outputs PyTorch gave', async () => {
    const model = await loadModel(file);
    expect(verify(model)).toEqual([]);
    const io = await readNpz(join(DIR, `${name}.io.npz`));
    const x = io.get('input')!;
    const want = toFloat32(io.get('output')!);
    const got = await run(model, toFloat32(x), [...x.shape]);
    expect(got.length).toBe(want.length);
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < got.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
      maxRef = Math.max(maxRef, Math.abs(want[i]!));
    }
    expect(maxDiff).toBeLessThanOrEqual(tol * Math.max(1, maxRef));
  });

  it('round-trips: same graph, deterministic bytes, bit-identical onnxruntime outputs', async () => {
    const original = readFileSync(file);
    const model = decodeModel(new Uint8Array(original), { baseDir: DIR, source: file });
    const once = encodeModel(model);
    const again = decodeModel(once, { baseDir: DIR });
    const twice = encodeModel(again);
    expect(Buffer.compare(Buffer.from(once), Buffer.from(twice))).toBe(0);
    expect(again.graph.nodes.map((n) => `${n.opType}:${n.name}`)).toEqual(model.graph.nodes.map((n) => `${n.opType}:${n.name}`));
    for (const v of model.graph.initializers) {
      const w = again.graph.requireValue(v.name).constant!;
      expect(Buffer.compare(Buffer.from(w.bytes()), Buffer.from(v.constant!.bytes()))).toBe(0);
    }
    const io = await readNpz(join(DIR, `${name}.io.npz`));
    const x = io.get('input')!;
    const a = await run(new Uint8Array(original), toFloat32(x), [...x.shape]);
    const b = await run(once, toFloat32(x), [...x.shape]);
    expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(0);
  });

  it('inspects: parameters, MACs and sizes are counted', async () => {
    const bytes = new Uint8Array(readFileSync(file));
    const model = decodeModel(bytes, { baseDir: DIR });
    const s = await summarizeModel(model, bytes, { batch: 1 });
    expect(s.params).toBeGreaterThan(0);
    expect(s.macs).toBeGreaterThan(0);
    expect(s.unknownShapes).toEqual([]);
    expect(s.fileBytes).toBe(bytes.byteLength);
    expect(s.gzipBytes).toBeGreaterThan(0);
  });
});

describe('PyTorch fixture parameter counts match torch numel', () => {
  it('mlp has 784*300+300 + 300*100+100 + 100*10+10 parameters', async () => {
    const bytes = new Uint8Array(readFileSync(join(DIR, 'mlp.onnx')));
    const s = await summarizeModel(decodeModel(bytes), bytes);
    expect(s.params).toBe(266_610);
    expect(s.macs).toBe(266_200);
  });
});
