import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { evaluate } from '../../src/runtime/index.js';
import { firstNonFinite, loadCheckpoint, train, type StepReport } from '../../src/train/index.js';
import { blobs, mlp } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'secateurs-train-'));
  dirs.push(d);
  return d;
};

describe('train', () => {
  it('separates a synthetic 3-class problem to ~100% and reports per-epoch history', async () => {
    const data = blobs(300, { seed: 1 });
    const val = blobs(150, { seed: 2, split: 'val' });
    const before = await evaluate(mlp({ seed: 3 }), val);
    const steps: StepReport[] = [];
    const r = await train(mlp({ seed: 3 }), data, { epochs: 4, batchSize: 16, optimizer: 'adam', lr: 0.01, valSet: val, seed: 5, onStep: (s) => steps.push(s) });
    expect(before.top1).toBeLessThan(0.9);
    expect(r.history).toHaveLength(4);
    expect(r.history[3]!.valAcc).toBeGreaterThanOrEqual(0.99);
    expect(r.history[3]!.trainAcc).toBeGreaterThanOrEqual(0.98);
    expect(r.history[3]!.trainLoss).toBeLessThan(r.history[0]!.trainLoss);
    expect(r.history[0]!.samplesPerSec).toBeGreaterThan(0);
    expect(r.steps).toBe(4 * 19);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 76 }, (_, i) => i + 1));
    expect(steps[19]).toMatchObject({ step: 20, epoch: 1, batch: 0 });
    expect(r.best?.valAcc).toBeGreaterThanOrEqual(0.99);
    const after = await evaluate(r.model, val);
    expect(after.top1).toBe(r.history[r.best!.epoch]!.valAcc);
  });

  it('stops early when the validation metric stops improving, and restores the best epoch', async () => {
    const data = blobs(60, { seed: 1 });
    const r = await train(mlp(), data, { epochs: 10, lr: 0, valSet: data, earlyStopping: { patience: 2, metric: 'valLoss' } });
    expect(r.stoppedEarly).toBe(true);
    expect(r.history).toHaveLength(3);
    expect(r.best?.epoch).toBe(0);
  });

  it('keeps pruned weights exactly zero through training', async () => {
    const model = mlp({ seed: 4 });
    const mask = Uint8Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? 0 : 1));
    const r = await train(model, blobs(90), { epochs: 2, batchSize: 8, optimizer: 'adamw', lr: 0.05, weightDecay: 0.1, masks: { 'fc1/weight': mask } });
    const w = r.model.graph.requireValue('fc1/weight').constant!.toFloat32();
    const original = model.graph.requireValue('fc1/weight').constant!.toFloat32();
    mask.forEach((m, i) => {
      if (m === 0) expect(Object.is(w[i], 0)).toBe(true);
      else expect(w[i]).not.toBe(original[i]);
    });
  });

  it('stops on a non-finite loss or gradient, naming the step and tensor, keeping the last good checkpoint', async () => {
    const dir = await tempDir();
    let caught: unknown;
    try {
      await train(mlp({ seed: 2 }), blobs(64), { epochs: 50, batchSize: 8, lr: 1e12, checkpointDir: dir, checkpointEvery: 1 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SecateursError);
    const err = caught as SecateursError;
    expect(err.code).toBe('TRAIN_NONFINITE');
    expect(err.message).toMatch(/^step \d+ \(epoch \d+, batch \d+\): (the loss is (NaN|-?Infinity)|gradient 'grad\/[\w/]+' is (NaN|-?Infinity) at index \d+|parameter '[\w/]+' became (NaN|-?Infinity) at index \d+)/);
    expect(err.message).toMatch(/checkpoint\.npz/);
    const failedAt = Number(/^step (\d+)/.exec(err.message)![1]);
    const last = await loadCheckpoint(join(dir, 'checkpoint.npz'));
    expect(last.step).toBeLessThan(failedAt);
    expect(firstNonFinite(last.tensors.map((t) => t.data))).toBeUndefined();
  });

  it('names the first non-finite gradient when the loss is still finite', async () => {
    const b = new GraphBuilder('sqrt');
    const x = b.input('x', 'float32', ['N', 4]);
    const z = b.op('Gemm', [x, b.constF32('w', [3, 4], new Float32Array(12)), b.constF32('b', [3], new Float32Array(3))], { transB: 1 });
    b.output(b.op('Sqrt', [z]), { name: 'logits', dtype: 'float32', shape: ['N', 3] });
    await expect(train(b.model(), blobs(16), { epochs: 1, batchSize: 8 })).rejects.toMatchObject({
      code: 'TRAIN_NONFINITE',
      message: expect.stringMatching(/^step 1 \(epoch 1, batch 1\): gradient 'grad\/w' is (NaN|-?Infinity) at index 0; the update was not applied and no checkpointDir was set/),
    });
  });

  it('rejects bad options all at once, and names unknown masks and inputs', async () => {
    const data = blobs(10);
    await expect(train(mlp(), data, { epochs: 0, batchSize: 1.5, labelSmoothing: 1 })).rejects.toThrow(
      /'epochs' must be an integer >= 1, got 0; 'batchSize' must be an integer >= 1, got 1.5; 'labelSmoothing' must be in \[0, 1\), got 1/,
    );
    await expect(train(mlp(), data, { epochs: 1, masks: { nope: new Uint8Array(1) } })).rejects.toThrow(/masks given for 'nope', which is not a trainable parameter/);
    await expect(train(mlp(), data, { epochs: 1, inputName: 'y' })).rejects.toThrow(/the model has no data input 'y'; its inputs are: 'x'/);
    await expect(train(mlp(), data, { epochs: 1, include: /nothing/ })).rejects.toThrow(/no trainable float32 parameters matching include\/exclude/);
    await expect(train(mlp(), data, { epochs: 1, earlyStopping: { patience: 1 } })).rejects.toThrow(/'earlyStopping' needs a 'valSet'/);
  });

  it('feeds a fixed-batch model its own batch size, dropping the short last batch', async () => {
    const r = await train(mlp({ batch: 8 }), blobs(30), { epochs: 1 });
    expect(r.steps).toBe(3);
    await expect(train(mlp({ batch: 8 }), blobs(30), { epochs: 1, batchSize: 16 })).rejects.toThrow(/fixed batch of 8; 'batchSize' 16 cannot feed it/);
  });

  it('follows the schedule (warm-up, then cosine to 0) and drives a given progress display', async () => {
    const lrs: number[] = [];
    const updates: [number, number][] = [];
    let finished = 0;
    const progress = { update: (d: number, t: number) => { updates.push([d, t]); }, finish: () => { finished++; } };
    await train(mlp(), blobs(40), { epochs: 2, batchSize: 10, lr: 0.1, warmupSteps: 2, schedule: 'cosine', progress, onStep: (s) => lrs.push(s.lr) });
    expect(lrs[0]).toBeCloseTo(0.05, 12);
    expect(lrs[1]).toBeCloseTo(0.1, 12);
    expect(lrs[2]).toBeCloseTo(0.1, 12);
    expect(lrs[7]).toBeCloseTo(0.1 * (1 + Math.cos((Math.PI * 5) / 6)) / 2, 12);
    expect(updates.at(-1)).toEqual([80, 80]);
    expect(updates[0]).toEqual([10, 80]);
    expect(finished).toBe(1);
  });

  it('aborts after the current step when the signal fires', async () => {
    const ctl = new AbortController();
    const seen: number[] = [];
    const run = train(mlp(), blobs(64), { epochs: 3, batchSize: 8, signal: ctl.signal, onStep: (s) => { seen.push(s.step); if (s.step === 5) ctl.abort(); } });
    await expect(run).rejects.toMatchObject({ code: 'TRAIN_ABORTED', message: expect.stringMatching(/after step 5 \(epoch 1, batch 5\); no checkpointDir/) });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
