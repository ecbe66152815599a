import { describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../../src/data/index.js';
import { SecateursError } from '../../../src/errors.js';
import { modelStats } from '../../../src/metrics/index.js';
import { checkStructuredOptions, pruneStructured } from '../../../src/prune/structure/index.js';
import { buildZooModel } from '../../../src/zoo/index.js';

describe('checkStructuredOptions', () => {
  it('reports every bad option at once, before any work', () => {
    expect(() => checkStructuredOptions({ criterion: 'taylor', target: { kind: 'ratio', ratio: 0.5 } }))
      .toThrow("criterion 'taylor' needs calibration data ('data'); l1, l2, bn-scale and random do not.");
    expect(() => checkStructuredOptions({ criterion: 'activation', target: { kind: 'latency', keep: 0 }, roundTo: 0, kinds: ['kernels' as 'heads'] }))
      .toThrow("4 problems: criterion 'activation' needs calibration data ('data'); l1, l2, bn-scale and random do not; 'targetLatency' must be in (0, 1], got 0; " +
        "'roundTo' must be an integer >= 1, got 0; 'kinds' must be a non-empty list of channels, neurons, heads, got [kernels].");
    expect(() => checkStructuredOptions({ criterion: 'fisher', target: { kind: 'macs', keep: 1.5 } }, true)).toThrow("'targetMacs' must be in (0, 1], got 1.5.");
    expect(() => checkStructuredOptions({ criterion: 'l1', target: { kind: 'ratio', ratio: 1 } })).toThrow("'ratio' must be in [0, 1), got 1.");
    expect(() => checkStructuredOptions({ criterion: 'vibes' as 'l1', target: { kind: 'ratio', ratio: 0.5 } })).toThrow(/'criterion' must be one of l1, l2, bn-scale, random, taylor, fisher, activation, got 'vibes'/);
  });
});

describe('pruneStructured', () => {
  it('activation criterion to a MAC target: the MACs it reports are the pruned model\'s', async () => {
    const model = buildZooModel('lenet5');
    const data = take(await loadMnist({ split: 'train' }), 128);
    const r = await pruneStructured(model, { criterion: 'activation', data, statistics: { samples: 128 }, target: { kind: 'macs', keep: 0.5 }, roundTo: 4 });
    expect(r.macs.pruned / r.macs.dense).toBeLessThanOrEqual(0.5);
    expect(r.macs.pruned).toBe((await modelStats(r.model, { shapes: 'static' })).macs);
    expect(r.macs.dense).toBe((await modelStats(model, { shapes: 'static' })).macs);
    expect(r.plan.groups.map((g) => g.id)).toEqual([0, 1, 2]);
  });

  it('an unreachable target is an error that says how far the most pruned plan gets', async () => {
    const err = await pruneStructured(buildZooModel('lenet5'), { criterion: 'l1', target: { kind: 'macs', keep: 0.01 }, roundTo: 16, kinds: ['neurons'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecateursError);
    expect((err as SecateursError).code).toBe('PRUNE_TARGET');
    expect((err as Error).message).toMatch(/^cannot reach 0.01 of the dense MACs: removing all but the smallest rounded block of every prunable group leaves 0\.\d{3}; lower 'roundTo'/);
  });
});
