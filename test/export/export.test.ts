import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../src/data/index.js';
import { exportModel, gapCode, gapCodingPays, writeExport } from '../../src/export/index.js';
import type { Model } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { fileSizes } from '../../src/metrics/index.js';
import { decodeModel, encodeModel } from '../../src/onnx/index.js';
import { applyMasks, planPruning } from '../../src/prune/index.js';
import { inspectFusion } from '../../src/quantize/index.js';
import { compareModels, createSession, exposeValues, fillerFeeds } from '../../src/runtime/index.js';
import { Rng } from '../../src/util/rng.js';
import { buildZooModel } from '../../src/zoo/index.js';

let pruned: Model;
const dir = mkdtempSync(join(tmpdir(), 'secateurs-export-'));

beforeAll(async () => {
  const model = buildZooModel('lenet-300-100', { seed: 4 });
  pruned = applyMasks(model, await planPruning(model, { criterion: 'magnitude', scope: { kind: 'layer', sparsity: 0.92 } }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gap coding', () => {
  it('stores distances to the previous non-zero, bridging gaps over 255 with zero entries', () => {
    const v = new Int8Array(600);
    v[1] = 5; v[4] = -3; v[599] = 7;
    const c = gapCode(v);
    expect(Array.from(c.gaps)).toEqual([2, 3, 255, 255, 85]);
    expect(Array.from(c.values)).toEqual([5, -3, 0, 0, 7]);
    expect(gapCodingPays(Tensor.fromTyped('int8', [600], v))).toBe(true);
    expect(gapCodingPays(Tensor.fromTyped('int8', [4], Int8Array.from([1, 0, 2, 3])))).toBe(false);
  });
});

describe('exportModel on LeNet-300-100 pruned to 92%', () => {
  it('measures every encoding and keeps the smallest gzip; lossless ones are bit-exact', async () => {
    const r = await exportModel(pruned);
    expect(r.candidates.map((c) => c.format)).toEqual(['dense', 'sparse', 'int8', 'int8-sparse']);
    const best = Math.min(...r.candidates.map((c) => c.gzip));
    expect(r.gzip).toBe(best);
    expect(r.format).toBe('int8-sparse');
    const by = Object.fromEntries(r.candidates.map((c) => [c.format, c]));
    expect(by['int8-sparse']!.gzip).toBeLessThan(by['int8']!.gzip);
    expect(by['int8']!.gzip).toBeLessThan(by['dense']!.gzip / 2);
    expect(by['sparse']!.raw).toBeLessThan(by['dense']!.raw / 3);
    expect(fileSizes(r.bytes)).toEqual({ raw: r.raw, gzip: r.gzip });
    expect(r.check.top1Agreement).toBe(1);
    for (const format of ['dense', 'sparse'] as const) {
      const exact = await exportModel(pruned, { format });
      expect(exact.check.maxAbsDiff).toBe(0);
      expect(exact.format).toBe(format);
    }
    expect((await exportModel(pruned, { lossless: true })).candidates.map((c) => c.format)).toEqual(['dense', 'sparse']);
  });

  it('writes a plain ONNX file that onnxruntime loads, folding the decoding nodes and keeping zeros exact', async () => {
    const r = await exportModel(pruned, { format: 'int8-sparse' });
    const file = join(dir, 'lenet.onnx');
    await writeExport(r, file);
    expect(new Uint8Array(readFileSync(file))).toEqual(r.bytes);
    const decoded = decodeModel(r.bytes);
    expect(encodeModel(decoded)).toEqual(r.bytes);
    expect(decoded.graph.nodes.some((n) => n.opType === 'ScatterElements')).toBe(true);
    const folded = await inspectFusion(file, { optimization: 'basic' });
    expect(Object.keys(folded.ops).sort()).toEqual(['DequantizeLinear', 'Flatten', 'Gemm', 'Relu']);
    const names = ['fc1/weight', 'fc2/weight', 'fc3/weight'];
    const exposed = exposeValues(decoded, names.map((n) => `${n}_dequantized`));
    const s = await createSession(exposed);
    const out = await s.run(fillerFeeds(exposed, new Rng(0)));
    await s.release();
    for (const n of names) {
      const want = pruned.graph.requireValue(n).constant!.toFloat32();
      const got = out[`${n}_dequantized`]!.data as Float32Array;
      want.forEach((w, i) => { if (w === 0 && got[i] !== 0) throw new Error(`${n}[${i}] should be exactly 0, got ${got[i]}`); });
    }
    const test = take(await loadMnist({ split: 'test' }), 500);
    expect((await compareModels(pruned, file, test)).top1Agreement).toBeGreaterThan(0.98);
  });

  it('puts int8 values on a coarser grid with bits < 8, which compresses further', async () => {
    const [b8, b6] = [await exportModel(pruned, { format: 'int8-sparse' }), await exportModel(pruned, { format: 'int8-sparse', bits: 6 })];
    expect(b6.gzip).toBeLessThan(b8.gzip);
    const values = b6.unpacked.graph.requireValue('fc1/weight_quantized').constant!.toNumbers();
    expect(values.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBe(31);
    expect(b6.check.top1Agreement).toBeGreaterThan(0.9);
    await expect(exportModel(pruned, { bits: 9 })).rejects.toThrow("'bits' must be an integer in [2, 8], got 9.");
  });

  it('skips int8 encodings for a model with no float layer weights, and names the reason when forced', async () => {
    const r = await exportModel(pruned, { format: 'int8' });
    await expect(exportModel(r.model, { format: 'int8' })).rejects.toThrow(/cannot export as int8: int8: nothing to quantize in graph 'lenet-300-100'/);
    const auto = await exportModel(r.model);
    expect(auto.candidates.filter((c) => c.skipped).map((c) => c.format)).toEqual(['int8', 'int8-sparse']);
    await expect(exportModel(pruned, { format: 'zip' as 'int8' })).rejects.toThrow("'format' must be auto or one of dense, sparse, int8, int8-sparse, got 'zip'.");
  });
});
