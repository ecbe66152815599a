import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/index.js';
import { compareModels, createSession, evaluate } from '../../src/runtime/index.js';
import { buildZooModel } from '../../src/zoo/index.js';

describe('evaluate on real MNIST', () => {
  it('scores an untrained LeNet-300-100 near chance, identically for batch sizes 1, 7 and 256', async () => {
    const test = await loadMnist({ split: 'test' });
    const session = await createSession(buildZooModel('lenet-300-100', { seed: 1 }));
    try {
      const runs = [];
      for (const batchSize of [1, 7, 256]) runs.push(await evaluate(session, test, { batchSize, limit: 300 }));
      for (const r of runs) {
        expect(r.count).toBe(300);
        expect(r.top1).toBeGreaterThanOrEqual(0);
        expect(r.top1).toBeLessThanOrEqual(0.3);
        expect(r.top1).toBe(runs[0]!.top1);
        expect(r.top5).toBe(runs[0]!.top5);
        expect(r.loss).toBeCloseTo(runs[0]!.loss, 5);
      }
    } finally {
      await session.release();
    }
  });

  it('gives bit-identical outputs with 1 and 2 intra-op threads (the threads default is about timing only)', async () => {
    const test = await loadMnist({ split: 'test' });
    const model = buildZooModel('lenet5', { seed: 3 });
    const a = await createSession(model, { threads: 1 });
    const b = await createSession(model, { threads: 2 });
    try {
      const d = await compareModels(a, b, test, { limit: 64, batchSize: 32 });
      expect(d.count).toBe(64);
      expect(d.maxAbsDiff).toBe(0);
    } finally {
      await a.release();
      await b.release();
    }
  });

  it('feeds [1, 28, 28] samples to a fixed-batch LeNet-5, padding the last batch', async () => {
    const test = await loadMnist({ split: 'test' });
    const fixed = await evaluate(buildZooModel('lenet5', { batch: 32 }), test, { limit: 100 });
    const free = await evaluate(buildZooModel('lenet5'), test, { limit: 100, batchSize: 100 });
    expect(fixed.count).toBe(100);
    expect(fixed.top1).toBe(free.top1);
    expect(fixed.loss).toBeCloseTo(free.loss, 5);
  });
});
