import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import { train, type EpochStats, type TrainOptions, type TrainResult } from '../../src/train/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { sameBits } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'secateurs-resume-'));
  dirs.push(d);
  return d;
};

let trainSet: Dataset;
let valSet: Dataset;
beforeAll(async () => {
  const all = await loadMnist({ split: 'train' });
  trainSet = take(all, 500); // 16 batches of 32, the last one of 20
  valSet = take(await loadMnist({ split: 'test' }), 200);
});

const mask = Uint8Array.from({ length: 300 * 784 }, (_, i) => (i % 4 === 0 ? 0 : 1));
const options = (): TrainOptions => ({
  epochs: 2, batchSize: 32, optimizer: 'adamw', lr: 2e-3, weightDecay: 0.01, schedule: 'cosine', warmupSteps: 5,
  clipNorm: 1, labelSmoothing: 0.1, seed: 11, valSet, masks: { 'fc1/weight': mask },
});

/** Runs `options()` and aborts right after each step listed in `stops`, resuming from the checkpoint each time. */
async function interrupted(stops: readonly number[]): Promise<TrainResult> {
  const dir = await tempDir();
  for (let i = 0; ; i++) {
    const ctl = new AbortController();
    const stop = stops[i];
    try {
      return await train(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, {
        ...options(), checkpointDir: dir, signal: ctl.signal, ...(i > 0 ? { resume: dir } : {}),
        onStep: (s) => { if (s.step === stop) ctl.abort(); },
      });
    } catch (e) {
      expect((e as { code?: string }).code).toBe('TRAIN_ABORTED');
      if (stop === undefined) throw e;
    }
  }
}

const weights = (r: TrainResult): Float32Array[] => r.params.map((p) => r.model.graph.requireValue(p.name).constant!.toFloat32());
const noTiming = (h: readonly EpochStats[]) => h.map(({ seconds: _s, samplesPerSec: _r, ...rest }) => rest);

describe('resume', () => {
  let straight: TrainResult;
  beforeAll(async () => {
    straight = await train(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, options());
  });

  it('an interrupted run resumed mid-epoch ends with bit-identical weights and history', async () => {
    const r = await interrupted([11]);
    expect(r.steps).toBe(straight.steps);
    weights(r).forEach((w, k) => expect(sameBits(w, weights(straight)[k]!)).toBe(true));
    expect(noTiming(r.history)).toEqual(noTiming(straight.history));
    expect(r.best).toEqual(straight.best);
  });

  it('survives several interruptions, one right at the end of an epoch', async () => {
    const r = await interrupted([7, 16, 25]);
    weights(r).forEach((w, k) => expect(sameBits(w, weights(straight)[k]!)).toBe(true));
    expect(noTiming(r.history)).toEqual(noTiming(straight.history));
  });

  it('refuses to resume a run started with other structural options, listing each difference', async () => {
    const dir = await tempDir();
    await train(buildZooModel('lenet-300-100', { seed: 1 }), take(trainSet, 64), { ...options(), epochs: 1, checkpointDir: dir });
    await expect(train(buildZooModel('lenet-300-100', { seed: 1 }), take(trainSet, 64), { ...options(), batchSize: 16, seed: 3, resume: dir }))
      .rejects.toMatchObject({ code: 'TRAIN_RESUME_MISMATCH', message: expect.stringMatching(/'batchSize' was 32, now 16\n {2}- 'seed' was 11, now 3/) });
  });
});

describe('shift augmentation in training', () => {
  const shifted = (): TrainOptions => ({ ...options(), shift: 2 });

  it('trains on shifted images (other weights than unshifted), and a resumed run repeats the same shifts', async () => {
    const straightShifted = await train(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, shifted());
    const plain = await train(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, options());
    expect(sameBits(weights(straightShifted)[0]!, weights(plain)[0]!)).toBe(false);
    const dir = await tempDir();
    const ctl = new AbortController();
    await expect(train(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, { ...shifted(), checkpointDir: dir, signal: ctl.signal, onStep: (s) => { if (s.step === 9) ctl.abort(); } }))
      .rejects.toMatchObject({ code: 'TRAIN_ABORTED' });
    const resumed = await train(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, { ...shifted(), checkpointDir: dir, resume: dir });
    weights(resumed).forEach((w, k) => expect(sameBits(w, weights(straightShifted)[k]!)).toBe(true));
    // A checkpoint of a shifted run does not resume as an unshifted one.
    await expect(train(buildZooModel('lenet-300-100', { seed: 1 }), trainSet, { ...options(), resume: dir }))
      .rejects.toMatchObject({ code: 'TRAIN_RESUME_MISMATCH', message: expect.stringMatching(/'shift' was 2, now undefined/) });
  });

  it('is refused before any work for samples that are not images', async () => {
    const flat: Dataset = { ...take(trainSet, 64), sampleShape: [784] };
    await expect(train(buildZooModel('lenet-300-100', { seed: 1 }), flat, { epochs: 1, shift: 1 }))
      .rejects.toThrow("'shift' translates images: samples must be [C, H, W] or [H, W], these are [784]");
  });
});

describe('shift option checks', () => {
  it('names a shift that is not an integer >= 0', async () => {
    for (const shift of [-1, 0.5, Number.NaN]) {
      await expect(train(buildZooModel('lenet-300-100', { seed: 1 }), take(trainSet, 64), { epochs: 1, shift }))
        .rejects.toThrow(`'shift' must be an integer >= 0, got ${shift}`);
    }
  });
});
