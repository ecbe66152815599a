import { describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../src/data/index.js';
import { applyMasks, decodeMask, findTargets, inputView, planPruning } from '../../src/prune/index.js';
import { compareModels } from '../../src/runtime/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { mlpGradientSource, tinyData, tinyMlp } from './helpers.js';

describe('planPruning', () => {
  it('reports every problem before asking the gradient source for anything', async () => {
    const model = tinyMlp();
    const source = mlpGradientSource(model, tinyData(16), 8);
    await expect(planPruning(model, { criterion: 'taylor', gradients: source, scope: { kind: 'layer', sparsity: 0.5 }, include: ['W3'], limits: [{ min: 0.6, max: 0.4 }] }))
      .rejects.toThrow(/2 problems:[\s\S]*include 'W3' matches no prunable layer; prunable layers: 'W1', 'W2'[\s\S]*limits\[0\] has min 0.6 above max 0.4/);
    await expect(planPruning(model, { criterion: 'wanda', scope: { kind: 'layer', sparsity: 0.5 } })).rejects.toThrow(/needs calibration data: pass 'dataset'/);
    expect(source.calls).toBe(0);
    const plan = await planPruning(model, { criterion: 'taylor', gradients: source, gradientBatches: 2, scope: { kind: 'layer', sparsity: 0.5 } });
    expect(source.calls).toBe(1);
    expect(plan.layers.map((l) => [l.name, l.pruned])).toEqual([['W1', 10], ['W2', 8]]);
  });

  it('builds a 2:4 LeNet-5 that onnxruntime runs, with the pattern in every input group', async () => {
    const model = buildZooModel('lenet5', { seed: 1 });
    const plan = await planPruning(model, { granularity: { kind: 'nm', n: 2, m: 4 }, exclude: ['conv1/weight'] });
    expect(plan.scope).toBeUndefined();
    for (const [l, t] of plan.layers.map((x, i) => [x, findTargets(model)[i + 1]!] as const)) {
      const mask = decodeMask(l);
      const v = inputView(t);
      let bad = 0;
      for (let r = 0; r < v.rows; r++) {
        for (let c = 0; c < v.cols; c += 4) {
          let kept = 0;
          for (let j = c; j < c + 4; j++) kept += mask[v.rowOffset[r]! + v.colOffset[j]!]!;
          if (kept !== 2) bad++;
        }
      }
      expect(bad).toBe(0);
      expect(l.sparsity).toBe(0.5);
    }
    const d = await compareModels(model, applyMasks(model, plan), take(await loadMnist({ split: 'test' }), 32));
    expect(d.count).toBe(32);
    expect(d.maxAbsDiff).toBeGreaterThan(0);
  });

  it('builds block and random plans with the asked counts', async () => {
    const model = buildZooModel('lenet-300-100');
    const block = await planPruning(model, { granularity: { kind: 'block', rows: 4, cols: 4 }, scope: { kind: 'layer', sparsity: 0.5 } });
    // whole 4x4 blocks only: fc2 needs 15000 = 937.5 blocks and gets 937 (14992); fc3 [10, 100] has 2-row edge blocks
    expect(block.layers.map((l) => l.pruned)).toEqual([117600, 14992, 496]);
    const random = await planPruning(model, { criterion: 'random', seed: 3, scope: { kind: 'global', sparsity: 0.5 } });
    expect(random.layers.reduce((a, l) => a + l.pruned, 0)).toBe(133100);
    expect(random.criterion).toBe('random');
  });
});
