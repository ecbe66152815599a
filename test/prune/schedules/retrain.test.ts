import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../../src/onnx/index.js';
import { decodeMask } from '../../../src/prune/index.js';
import { geometricSparsity, iterative, oneShot } from '../../../src/prune/schedules/index.js';
import { evaluate } from '../../../src/runtime/index.js';
import { train } from '../../../src/train/index.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { LENET_LAYERS, mnistSubsets, nonZeroPruned, weight, zeros } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

const TRAIN = { optimizer: 'adam', lr: 2e-3, batchSize: 32, seed: 1 } as const;

describe('oneShot', () => {
  it('50% magnitude + 1 epoch fine-tune stays within 2 points of the dense model, pruned weights exactly 0 in the saved ONNX', async () => {
    const { trainSet, testSet } = await mnistSubsets();
    const dense = (await train(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, { ...TRAIN, epochs: 1 })).model;
    const denseAcc = (await evaluate(dense, testSet)).top1;
    const r = await oneShot(dense, trainSet, {
      prune: { criterion: 'magnitude', scope: { kind: 'layer', sparsity: 0.5 } }, finetuneEpochs: 1, train: { ...TRAIN, seed: 2 },
    });
    expect(r.plan.layers.map((l) => l.sparsity)).toEqual([0.5, 0.5, 0.5]);
    expect(r.runs).toHaveLength(1);
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-oneshot-'));
    dirs.push(dir);
    await saveModel(r.model, join(dir, 'pruned.onnx'));
    const saved = await loadModel(join(dir, 'pruned.onnx'));
    for (const l of r.plan.layers) {
      const w = weight(saved, l.name);
      expect(nonZeroPruned(w, decodeMask(l))).toBe(0);
      expect(zeros(w)).toBeGreaterThanOrEqual(l.pruned);
    }
    const acc = (await evaluate(join(dir, 'pruned.onnx'), testSet)).top1;
    expect(denseAcc).toBeGreaterThan(0.8);
    expect(acc).toBeGreaterThan(denseAcc - 0.02);
  });

  it('with 0 epochs only applies the plan, and rejects a bad epoch count', async () => {
    const { trainSet } = await mnistSubsets();
    const model = buildZooModel('lenet-300-100', { seed: 1 });
    const r = await oneShot(model, trainSet, { prune: { scope: { kind: 'global', sparsity: 0.8 } }, finetuneEpochs: 0 });
    expect(r.runs).toHaveLength(0);
    expect(r.plan.layers.reduce((a, l) => a + l.pruned, 0)).toBe(Math.round(0.8 * 266_200));
    await expect(oneShot(model, trainSet, { prune: { scope: { kind: 'layer', sparsity: 0.5 } }, finetuneEpochs: -1 })).rejects.toThrow(/'finetuneEpochs' must be an integer >= 0/);
  });
});

describe('iterative', () => {
  it('geometric targets: each round keeps the same fraction of what remains', () => {
    expect(geometricSparsity(1, 2, 0.75)).toBeCloseTo(0.5, 12);
    expect(geometricSparsity(2, 2, 0.75)).toBe(0.75);
    expect(1 - geometricSparsity(1, 3, 0.875)).toBeCloseTo(0.5, 12);
  });

  it('reaches 87.5% in 3 rounds, exact per round and kept through each fine-tune', async () => {
    const { trainSet, testSet } = await mnistSubsets();
    const rounds: [number, number][] = [];
    const r = await iterative(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, {
      rounds: 3, sparsity: 0.875, finetuneEpochs: 1, train: TRAIN,
      onRound: (round, s, run) => {
        rounds.push([round, s]);
        for (const name of LENET_LAYERS) {
          const w = weight(run.model, name);
          expect(zeros(w)).toBe(Math.round(s * w.length));
        }
      },
    });
    expect(rounds.map(([k, s]) => [k, +s.toFixed(6)])).toEqual([[1, 0.5], [2, 0.75], [3, 0.875]]);
    expect(r.runs).toHaveLength(3);
    for (const l of r.plan.layers) {
      expect(l.pruned).toBe(Math.round(0.875 * l.shape.reduce((a, b) => a * b, 1)));
      expect(nonZeroPruned(weight(r.model, l.name), decodeMask(l))).toBe(0);
    }
    expect((await evaluate(r.model, testSet)).top1).toBeGreaterThan(0.8);
  });

  it('reports bad options and unknown layers', async () => {
    const { trainSet } = await mnistSubsets();
    const model = buildZooModel('lenet-300-100');
    await expect(iterative(model, trainSet, { rounds: 0, sparsity: 0.5, finetuneEpochs: 1 })).rejects.toThrow(/'rounds'/);
    await expect(iterative(model, trainSet, { rounds: 1, sparsity: 1, finetuneEpochs: 1 })).rejects.toThrow(/'sparsity' must be in \[0, 1\)/);
    await expect(iterative(model, trainSet, { rounds: 1, sparsity: 0.5, finetuneEpochs: 1, include: ['nope'] })).rejects.toThrow(/nope/);
  });
});
