import { describe, expect, it } from 'vitest';
import { decodeMask } from '../../../src/prune/index.js';
import { agpPrune, agpSparsity } from '../../../src/prune/schedules/index.js';
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
