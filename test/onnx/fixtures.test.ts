import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/index.js';
import { describeGraph, floats, runOrt, tempDir } from './helpers.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/pytorch');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort() : [];

describe.skipIf(files.length === 0)('PyTorch fixtures round-trip', () => {
  it.each(files)('%s re-encodes to the identical bytes and graph', async (name) => {
    const file = path.join(dir, name);
    const model = await loadModel(file);
    const bytes = encodeModel(model);
    expect(Buffer.from(bytes).equals(fs.readFileSync(file))).toBe(true);
    expect(describeGraph(decodeModel(bytes).graph)).toEqual(describeGraph(model.graph));
  });

  it.each(files)('%s saved with external data runs in onnxruntime bit-identically', async (name) => {
    const file = path.join(dir, name);
    const model = await loadModel(file);
    const input = model.graph.inputs.find((v) => !v.constant)!;
    const dims = input.shape!.map((d) => (typeof d === 'number' ? d : 2));
    const feeds = { [input.name]: { dims, data: floats(dims.reduce((a, b) => a * b, 1), 3) } };
    const out = path.join(tempDir(), name);
    await saveModel(model, out, { externalData: true });
    const a = await runOrt(file, feeds);
    const b = await runOrt(out, feeds);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) expect(Buffer.from(b[k]!).equals(Buffer.from(a[k]!))).toBe(true);
  });
});
