import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import { train, type MaskUpdate, type TrainOptions, type TrainResult } from '../../src/train/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { sameBits } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

let trainSet: Dataset;
beforeAll(async () => { trainSet = take(await loadMnist({ split: 'train' }), 400); });

/** Prunes the smallest |w| of fc1 up to `fraction[i]` before step at[i], recording what it saw. */
function magnitudeUpdate(at: readonly number[], fractions: readonly number[], seen: number[][] = []): MaskUpdate {
  return {
    at,
    update: (step, weights, masks) => {
      const w = weights.get('fc1/weight')!;
      const old = masks.get('fc1/weight') ?? new Uint8Array(w.length).fill(1);
      seen.push([step, old.reduce((a, b) => a + b, 0)]);
      const order = [...w.keys()].sort((a, b) => Math.abs(w[a]!) - Math.abs(w[b]!) || a - b);
      const m = old.slice();
      const target = Math.round(fractions[at.indexOf(step)]! * w.length);
      let pruned = old.length - old.reduce((a, b) => a + b, 0);
      for (const i of order) { if (pruned >= target) break; if (m[i] === 1) { m[i] = 0; pruned++; } }
      return { 'fc1/weight': m };
    },
  };
}

const options = (): TrainOptions => ({ epochs: 2, batchSize: 50, optimizer: 'adam', lr: 1e-3, schedule: 'cosine', seed: 5 });
const fc1 = (r: TrainResult): Float32Array => r.model.graph.requireValue('fc1/weight').constant!.toFloat32();
const zeros = (w: Float32Array): number => w.reduce((n, v) => n + (v === 0 && !Object.is(v, -0) ? 1 : 0), 0);

describe('train maskUpdate', () => {
  it('applies each update before its step and keeps the pruned weights exactly +0 to the end', async () => {
    const seen: number[][] = [];
    const r = await train(buildZooModel('lenet-300-100', { seed: 2 }), trainSet, { ...options(), maskUpdate: magnitudeUpdate([0, 4, 10], [0.3, 0.6, 0.9], seen) });
    expect(seen.map((s) => s[0])).toEqual([0, 4, 10]);
    // Each update saw the previous update's mask: 0 pruned, then 30%, then 60% of 235,200.
    expect(seen.map((s) => 235_200 - s[1]!)).toEqual([0, 70_560, 141_120]);
    expect(zeros(fc1(r))).toBe(Math.round(0.9 * 235_200));
    expect(r.steps).toBe(16);
  });

  it('keeps the optimizer state across updates: differs from restarting Adam at each update', async () => {
    const one = await train(buildZooModel('lenet-300-100', { seed: 2 }), trainSet, { ...options(), epochs: 1, maskUpdate: magnitudeUpdate([0, 4], [0.5, 0.8]) });
    // The same pruning as two runs (Adam restarted at step 4) moves the surviving weights differently.
    const first = await train(buildZooModel('lenet-300-100', { seed: 2 }), take(trainSet, 200), { ...options(), epochs: 1, maskUpdate: magnitudeUpdate([0], [0.5]) });
    expect(sameBits(fc1(one), fc1(first))).toBe(false);
    expect(zeros(fc1(one))).toBe(Math.round(0.8 * 235_200));
  });

  it('resumes an interrupted run with the masks it had, bit-identically', async () => {
    const straight = await train(buildZooModel('lenet-300-100', { seed: 2 }), trainSet, { ...options(), maskUpdate: magnitudeUpdate([0, 4, 10], [0.3, 0.6, 0.9]) });
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-mask-update-'));
    dirs.push(dir);
    const ctl = new AbortController();
    await expect(train(buildZooModel('lenet-300-100', { seed: 2 }), trainSet, {
      ...options(), maskUpdate: magnitudeUpdate([0, 4, 10], [0.3, 0.6, 0.9]), checkpointDir: dir, signal: ctl.signal,
      onStep: (s) => { if (s.step === 7) ctl.abort(); },
    })).rejects.toMatchObject({ code: 'TRAIN_ABORTED' });
    const seen: number[][] = [];
    const resumed = await train(buildZooModel('lenet-300-100', { seed: 2 }), trainSet, {
      ...options(), maskUpdate: magnitudeUpdate([0, 4, 10], [0.3, 0.6, 0.9], seen), checkpointDir: dir, resume: dir,
    });
    // Only the update still ahead ran, starting from the 60% mask stored in the checkpoint.
    expect(seen).toEqual([[10, 235_200 - 141_120]]);
    expect(sameBits(fc1(resumed), fc1(straight))).toBe(true);
  });

  it('rejects unordered update steps and masks for unknown parameters', async () => {
    await expect(train(buildZooModel('lenet-300-100'), trainSet, { ...options(), maskUpdate: { at: [4, 2], update: () => ({}) } }))
      .rejects.toThrow(/'maskUpdate.at' must be ascending integers >= 0, got \[4, 2\]/);
    await expect(train(buildZooModel('lenet-300-100'), trainSet, { ...options(), maskUpdate: { at: [1], update: () => ({ nope: new Uint8Array(1) }) } }))
      .rejects.toThrow(/maskUpdate at step 1 returned masks for 'nope'/);
  });
});
