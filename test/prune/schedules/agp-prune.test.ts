import { describe, expect, it } from 'vitest';
import { decodeMask } from '../../../src/prune/index.js';
import { agpPrune, agpSparsity, pruneWeightsGlobally } from '../../../src/prune/schedules/index.js';
import { evaluate } from '../../../src/runtime/index.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { mnistSubsets, nonZeroPruned, weight, zeros } from './helpers.js';

describe('agpPrune', () => {
  it('follows the AGP trajectory during one run and ends at exactly the final sparsity', async () => {
    const { trainSet, testSet } = await mnistSubsets();
    // 2,000 / 50 = 40 steps per epoch, 2 epochs = 80 steps; Δt = 10, t₀ = 10, default n = ⌊(79 − 10)/10⌋ = 6
    const r = await agpPrune(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, {
      final: 0.8, frequency: 10, startStep: 10, epochs: 2, batchSize: 50, seed: 3, train: { lr: 0.1, momentum: 0 },
    });
    const schedule = { initial: 0, final: 0.8, startStep: 10, frequency: 10, steps: 6 };
    expect(r.steps).toBe(80);
    expect(r.trajectory.map((p) => p.step)).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    for (const p of r.trajectory) {
      expect(p.target).toBeCloseTo(agpSparsity(p.step, schedule), 12);
      expect(p.sparsity).toBeCloseTo(p.target, 4);   // per-layer rounding only
    }
    expect(r.trajectory.map((p) => +p.target.toFixed(4))).toEqual([0, 0, 0.337, 0.563, 0.7, 0.7704, 0.7963, 0.8]);
    for (const l of r.plan.layers) {
      const w = weight(r.model, l.name);
      expect(l.pruned).toBe(Math.round(0.8 * w.length));
      expect(nonZeroPruned(w, decodeMask(l))).toBe(0);
      expect(zeros(w)).toBe(l.pruned);
    }
    expect((await evaluate(r.model, testSet)).top1).toBeGreaterThan(0.75);
  });

  it('rejects a run too short for its schedule', async () => {
    const { trainSet } = await mnistSubsets();
    await expect(agpPrune(buildZooModel('lenet-300-100'), trainSet, { final: 0.5, frequency: 10, steps: 4, epochs: 1, batchSize: 50 }))
      .rejects.toThrow(/last mask update \(step 40\) must come before the run's 40 steps end/);
    await expect(agpPrune(buildZooModel('lenet-300-100'), trainSet, { final: 1, frequency: 0, epochs: 1 }))
      .rejects.toThrow(/'final'.*'frequency'/);
  });
});

describe('agpPrune, global scope', () => {
  it('prunes the smallest |w| across layers: exact total, layers at different sparsities', async () => {
    const { trainSet } = await mnistSubsets();
    const r = await agpPrune(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, {
      final: 0.9, frequency: 10, epochs: 1, batchSize: 50, scope: 'global', train: { optimizer: 'adam', lr: 1e-3 },
    });
    const sizes = r.plan.layers.map((l) => weight(r.model, l.name).length);
    const pruned = r.plan.layers.map((l) => zeros(weight(r.model, l.name)));
    expect(pruned.reduce((a, b) => a + b, 0)).toBe(Math.round(0.9 * sizes.reduce((a, b) => a + b, 0)));
    const sparsities = pruned.map((p, k) => p / sizes[k]!);
    expect(Math.max(...sparsities) - Math.min(...sparsities)).toBeGreaterThan(0.05);
    expect(r.plan.scope?.kind).toBe('global');
  });
});

describe('pruneWeightsGlobally', () => {
  it('removes the globally smallest surviving magnitudes, never reviving pruned ones', () => {
    const w = new Map([['a', Float32Array.from([0.5, -0.1, 0.9, 0.05])], ['b', Float32Array.from([0.2, -0.3, 0.01])]]);
    const masks = new Map([['a', Uint8Array.from([1, 1, 1, 0])], ['b', Uint8Array.from([1, 1, 1])]]);
    // 7 weights, sparsity 4/7 → 4 pruned: the existing a[3], then b[2] (0.01), a[1] (0.1), b[0] (0.2).
    const out = pruneWeightsGlobally((n) => w.get(n)!, masks, 4 / 7);
    expect([...out.get('a')!]).toEqual([1, 0, 1, 0]);
    expect([...out.get('b')!]).toEqual([0, 1, 0]);
    expect([...masks.get('a')!]).toEqual([1, 1, 1, 0]);
  });
});
