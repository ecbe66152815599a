import { describe, expect, it } from 'vitest';
import { agpSparsity, pruneMore, pruneToSparsity, prunedCount } from '../../../src/prune/schedules/index.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { weight } from './helpers.js';

const S = { initial: 0.1, final: 0.9, startStep: 200, frequency: 50, steps: 8 };

describe('agpSparsity', () => {
  it('follows s_f + (s_i − s_f)(1 − (t − t₀)/(nΔt))³ at every update step', () => {
    for (let k = 0; k <= S.steps; k++) {
      const t = S.startStep + k * S.frequency;
      expect(agpSparsity(t, S)).toBeCloseTo(S.final + (S.initial - S.final) * (1 - k / S.steps) ** 3, 12);
    }
    expect(agpSparsity(500, { initial: 0, final: 0.9, startStep: 0, frequency: 100, steps: 10 })).toBeCloseTo(0.7875, 12);
  });

  it('is 0 before t₀, s_i at t₀, s_f from t₀ + nΔt on, and changes only at update steps', () => {
    expect(agpSparsity(0, S)).toBe(0);
    expect(agpSparsity(199, S)).toBe(0);
    expect(agpSparsity(200, S)).toBeCloseTo(0.1, 12);
    expect(agpSparsity(600, S)).toBeCloseTo(0.9, 12);
    expect(agpSparsity(10_000, S)).toBeCloseTo(0.9, 12);
    for (let t = 200; t < 600; t++) expect(agpSparsity(t, S)).toBe(agpSparsity(200 + 50 * Math.floor((t - 200) / 50), S));
  });

  it('is non-decreasing, with shrinking increments (prunes fast early, slowly late)', () => {
    let prev = 0;
    let prevInc = Infinity;
    for (let k = 0; k <= S.steps; k++) {
      const s = agpSparsity(S.startStep + k * S.frequency, S);
      expect(s).toBeGreaterThanOrEqual(prev);
      if (k > 0) { expect(s - prev).toBeLessThanOrEqual(prevInc); prevInc = s - prev; }
      prev = s;
    }
  });

  it('reports every bad parameter together', () => {
    expect(() => agpSparsity(0, { initial: 0.5, final: 0.2, startStep: -1, frequency: 0, steps: 1.5 }))
      .toThrow(/'final' must be in \[initial, 1\).*'startStep'.*'frequency'.*'steps'/);
    expect(() => agpSparsity(-1, S)).toThrow(RangeError);
  });
});

describe('magnitude mask updates', () => {
  it('prunes the smallest surviving |w| and never revives a pruned weight', () => {
    const w = Float32Array.from([0.5, -0.1, 3, 0.2, -2, 0.05]);
    const m1 = pruneMore(w, new Uint8Array(6).fill(1), 2);
    expect([...m1]).toEqual([1, 0, 1, 1, 1, 0]);
    // weight 2 (|3|) is now "small" but pruning continues only among survivors
    const w2 = Float32Array.from([0.5, 9, 0.01, 0.2, -2, 9]);
    expect([...pruneMore(w2, m1, 1)]).toEqual([1, 0, 0, 1, 1, 0]);
  });

  it('reaches round(s · size) pruned weights per layer', () => {
    const model = buildZooModel('lenet-300-100', { seed: 1 });
    const dense = new Map(['fc1/weight', 'fc3/weight'].map((n) => [n, new Uint8Array(weight(model, n).length).fill(1)]));
    const m = pruneToSparsity(model, dense, 0.37);
    expect(prunedCount(m.get('fc1/weight')!)).toBe(Math.round(0.37 * 235_200));
    expect(prunedCount(m.get('fc3/weight')!)).toBe(370);
  });
});
