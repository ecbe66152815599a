import { describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../src/data/index.js';
import { crossValidateThreshold, kFolds, mergeSweeps, type SensitivityResult } from '../../src/prune/index.js';
import { buildZooModel } from '../../src/zoo/index.js';

describe('kFolds', () => {
  it('cuts a seeded permutation into k disjoint folds covering every sample', async () => {
    const ds = take(await loadMnist({ split: 'test' }), 103);
    const folds = kFolds(ds, 4, 0);
    expect(folds.map((f) => f.count)).toEqual([25, 26, 26, 26]);
    expect(folds.map((f) => f.split)).toEqual(['fold0', 'fold1', 'fold2', 'fold3']);
    expect(() => kFolds(ds, 1, 0)).toThrow("'k' is 1, out of range [2, 103].");
  });

  it('merges fold sweeps into sample-weighted means', () => {
    const sweep = (count: number, top1: number): SensitivityResult => ({
      rows: [{ layer: 'a', level: 0, top1, top5: 1, loss: 1, kl: null, params: 4, pruned: 0 }],
      dense: { top1, top5: 1, loss: 1 }, layers: ['a'], levels: [0], metric: 'labels', criterion: 'magnitude',
      dataset: { name: 'd', split: 's', count }, computed: 1, cached: 0, cachePath: undefined,
    });
    expect(mergeSweeps([sweep(1, 1), sweep(3, 0)])[0]).toMatchObject({ top1: 0.25, kl: null });
  });
});

describe('crossValidateThreshold', () => {
  it('scores every candidate τ on every held-out fold and picks by the rule', async () => {
    const model = buildZooModel('lenet-300-100', { seed: 2 });
    const ds = take(await loadMnist({ split: 'test' }), 300);
    const thresholds = [0, 0.002, 0.05];
    const cv = await crossValidateThreshold(model, ds, { k: 3, thresholds, levels: [0, 0.5, 0.9], objective: 'loss', maxDrop: 0.003, workers: 0 });
    expect(cv.folds.map((f) => f.count)).toEqual([100, 100, 100]);
    for (const f of cv.folds) {
      expect(f.scores.map((s) => s.threshold)).toEqual(thresholds);
      const sp = f.scores.map((s) => s.sparsity);
      expect(sp).toEqual([...sp].sort((a, b) => a - b));
      expect(f.scores.every((s) => Number.isFinite(s.heldOutDrop) && Number.isFinite(s.predictedDrop))).toBe(true);
    }
    const ok = cv.summary.filter((s) => s.meanDrop <= 0.003);
    const best = ok.reduce((b, s) => (s.meanSparsity > b.meanSparsity ? s : b), ok[0]!);
    expect(cv.chosen).toBe(best?.threshold);
    expect(Object.keys(cv.sparsities ?? {})).toEqual(['fc1/weight', 'fc2/weight', 'fc3/weight']);
    // τ = 0 tolerates no predicted drop beyond noise-free levels: nothing measured worse is pruned
    expect(cv.summary[0]!.meanSparsity).toBeLessThanOrEqual(cv.summary[2]!.meanSparsity);
  });

  it('checks its options before any sweep', async () => {
    const ds = take(await loadMnist({ split: 'test' }), 10);
    const model = buildZooModel('lenet-300-100');
    await expect(crossValidateThreshold(model, ds, { maxDrop: 0.01, k: 11 })).rejects.toThrow("'k' is 11, out of range [2, 10].");
    await expect(crossValidateThreshold(model, ds, { maxDrop: NaN })).rejects.toThrow(RangeError);
    await expect(crossValidateThreshold(model, ds, { maxDrop: 0.01, thresholds: [], exclude: [/x/] })).rejects.toThrow(/2 problems/);
  });
});
