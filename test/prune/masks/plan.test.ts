import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../../src/onnx/index.js';
import {
  applyMasks, decodeMask, encodeMask, layerPlan, planFromJson, planPruning, planToJson, type PrunePlan,
} from '../../../src/prune/index.js';
import { Rng } from '../../../src/util/rng.js';
import { buildZooModel } from '../../../src/zoo/index.js';

describe('mask encoding', () => {
  it('stores few pruned elements as indices and many as a bitmap, both exactly', () => {
    const rng = new Rng(4);
    for (const p of [0, 0.01, 0.3, 0.9, 1]) {
      const mask = Uint8Array.from({ length: 1003 }, () => (rng.next() < p ? 0 : 1));
      const enc = encodeMask(mask);
      expect(enc.encoding).toBe(p <= 0.01 ? 'indices' : 'bitmap');
      expect([...decodeMask({ name: 'w', shape: [17, 59], pruned: 0, sparsity: 0, mask: enc })]).toEqual([...mask]);
    }
    expect(layerPlan('w', [2, 2], Uint8Array.from([1, 0, 1, 1]))).toEqual({ name: 'w', shape: [2, 2], pruned: 1, sparsity: 0.25, mask: { encoding: 'indices', indices: [1] } });
  });
});

describe('plans', () => {
  it('round-trip through JSON and replay to the identical model on a fresh copy', async () => {
    const model = buildZooModel('lenet5', { seed: 4 });
    const plan = await planPruning(model, { scope: { kind: 'global', sparsity: 0.8 }, keepClassifier: true });
    const text = planToJson(plan);
    const again = planFromJson(text);
    expect(again).toEqual(JSON.parse(text));
    expect(again.layers.map((l) => l.name)).toEqual(['conv1/weight', 'conv2/weight', 'fc1/weight']);
    const a = applyMasks(model, plan);
    const b = applyMasks(buildZooModel('lenet5', { seed: 4 }), again);
    expect(Buffer.from(encodeModel(a)).equals(Buffer.from(encodeModel(b)))).toBe(true);
  });

  it('reject malformed plans with the reason', () => {
    const base: PrunePlan = { format: 'secateurs/prune-plan', version: 1, criterion: 'magnitude', granularity: { kind: 'element' }, scope: undefined, layers: [] };
    const bad = (p: unknown): string => JSON.stringify(p);
    expect(() => planFromJson('{')).toThrow(/prune plan is not JSON/);
    expect(() => planFromJson(bad({ ...base, format: 'x' }))).toThrow(/not a prune plan/);
    expect(() => planFromJson(bad({ ...base, version: 2 }))).toThrow(/version 2 is not supported/);
    const layer = { name: 'w', shape: [2, 2], pruned: 1, sparsity: 0.25 };
    expect(() => planFromJson(bad({ ...base, layers: [{ ...layer, mask: { encoding: 'indices', indices: [4] } }] }))).toThrow(/pruned index 4 is out of range \[0, 4\)/);
    expect(() => planFromJson(bad({ ...base, layers: [{ ...layer, mask: { encoding: 'bitmap', bits: 'AAAA' } }] }))).toThrow(/bitmap has 3 bytes, expected 1/);
    expect(() => planFromJson(bad({ ...base, layers: [{ shape: [1] }] }))).toThrow(/layer 0 has no name; layer 0 has no valid mask/);
  });
});
