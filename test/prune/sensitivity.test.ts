import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, take, type Dataset } from '../../src/data/index.js';
import { analyzeSensitivity, type SensitivityResult } from '../../src/prune/index.js';
import { evaluate, type Progress } from '../../src/runtime/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { tinyData } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'secateurs-sens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = buildZooModel('lenet-300-100', { seed: 1 });
let ds: Dataset;
let first: SensitivityResult;
const updates: number[] = [];
const progress: Progress = { update: (done) => updates.push(done), finish: () => undefined };

beforeAll(async () => {
  ds = take(await loadMnist({ split: 'test' }), 500);
  first = await analyzeSensitivity(model, ds, { levels: [0, 0.5, 0.9], workers: 2, cacheDir: dir, progress });
});

describe('analyzeSensitivity (LeNet-300-100, 500 MNIST images, 2 worker threads)', () => {
  it('measures every (layer, level) cell once, with progress', () => {
    expect(first.rows.map((r) => [r.layer, r.level, r.pruned])).toEqual([
      ['fc1/weight', 0, 0], ['fc1/weight', 0.5, 117600], ['fc1/weight', 0.9, 211680],
      ['fc2/weight', 0, 0], ['fc2/weight', 0.5, 15000], ['fc2/weight', 0.9, 27000],
      ['fc3/weight', 0, 0], ['fc3/weight', 0.5, 500], ['fc3/weight', 0.9, 900],
    ]);
    expect([first.computed, first.cached]).toEqual([9, 0]);
    expect(updates).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('level 0 equals the dense model exactly, and its KL divergence is exactly 0', async () => {
    const dense = await evaluate(model, ds);
    expect(first.dense.top1).toBe(dense.top1);
    expect(first.dense.top5).toBe(dense.top5);
    expect(first.dense.loss).toBeCloseTo(dense.loss, 6);
    for (const r of first.rows.filter((x) => x.level === 0)) {
      expect([r.top1, r.top5, r.loss, r.kl]).toEqual([first.dense.top1, first.dense.top5, first.dense.loss, 0]);
    }
    for (const r of first.rows.filter((x) => x.level > 0)) expect(r.kl).toBeGreaterThan(0);
  });

  it('gives the same table in the calling thread (workers: 0)', async () => {
    const here = await analyzeSensitivity(model, ds, { levels: [0, 0.5, 0.9], workers: 0 });
    expect(here.rows).toEqual(first.rows);
    expect(here.cachePath).toBeUndefined();
  });

  it('reruns from the cache without recomputing, and computes only new cells', async () => {
    const jobs: number[] = [];
    const count: Progress = { update: (done) => jobs.push(done), finish: () => undefined };
    const again = await analyzeSensitivity(model, ds, { levels: [0, 0.5, 0.9], workers: 2, cacheDir: dir, progress: count });
    expect([again.computed, again.cached, jobs.length]).toEqual([0, 9, 0]);
    expect(again.rows).toEqual(first.rows);
    const more = await analyzeSensitivity(model, ds, { levels: [0, 0.5, 0.7, 0.9], workers: 2, cacheDir: dir, exclude: ['fc3/weight'], progress: count });
    expect([more.computed, more.cached, jobs]).toEqual([2, 6, [1, 2]]);
    const other = await analyzeSensitivity(model, ds, { levels: [0.5], workers: 0, cacheDir: dir, criterion: 'random', seed: 1 });
    expect(other.computed).toBe(3);
  });

  it('pads the last batch of a model with a fixed batch size', async () => {
    const slice = take(ds, 21);
    const fixed = await analyzeSensitivity(buildZooModel('lenet5', { batch: 8 }), slice, { levels: [0, 0.5], workers: 0, include: ['fc2/weight'] });
    const free = await analyzeSensitivity(buildZooModel('lenet5'), slice, { levels: [0, 0.5], workers: 0, include: ['fc2/weight'] });
    expect(fixed.rows.map((r) => r.top1)).toEqual(free.rows.map((r) => r.top1));
    expect(fixed.rows[1]!.loss).toBeCloseTo(free.rows[1]!.loss!, 5);
  });

  it('measures label-free (KL only, SparseML-style)', async () => {
    const kl = await analyzeSensitivity(model, take(ds, 100), { levels: [0, 0.9], metric: 'kl', workers: 0, include: ['fc2/weight'] });
    expect(kl.rows.map((r) => [r.top1, r.loss, r.kl === 0])).toEqual([[null, null, true], [null, null, false]]);
  });
});

describe('analyzeSensitivity input checks', () => {
  it('rejects levels outside [0, 1) and a bad worker count', async () => {
    await expect(analyzeSensitivity(model, ds, { levels: [0, 1] })).rejects.toThrow("'levels[1]' is 1, out of range [0, 1).");
    await expect(analyzeSensitivity(model, ds, { workers: -1 })).rejects.toThrow(RangeError);
  });

  it('reports a dataset that does not fit the model and a selector that matches nothing, together', async () => {
    await expect(analyzeSensitivity(model, tinyData(8), { include: [/conv/] })).rejects.toThrow(
      /2 problems:[\s\S]*include \/conv\/ matches no prunable layer; prunable layers: 'fc1\/weight'[\s\S]*dataset samples are \[4\] \(4 values\) but model input 'input' expects \[N,1,28,28\]/);
  });
});
