import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { createSession, evaluate } from '../../src/runtime/index.js';
import { dataset, gemmClassifier } from './models.js';

// Logits of the identity classifier are the first three features of each sample.
const ROWS = [
  [3, 1, 0, 9], // label 0: rank 0
  [0, 2, 1, 9], // label 2: rank 1
  [1, 1, 5, 0], // label 2: rank 0
  [2, 0, 1, 0], // label 1: rank 2
  [0, 0, 0, 0], // label 1: tie with class 0 (lower index first) → rank 1
  [-1, 4, 2, 0], // label 1: rank 0
];
const LABELS = [0, 2, 2, 1, 1, 1];
const ds = dataset(ROWS, LABELS, [2, 2], 3);

/** Cross-entropy written out directly: −log(exp(z_y) / Σ exp(z_j)). */
function handLoss(): number {
  let sum = 0;
  ROWS.forEach((r, i) => {
    const z = r.slice(0, 3);
    sum += -Math.log(Math.exp(z[LABELS[i]!]!) / z.reduce((a, v) => a + Math.exp(v), 0));
  });
  return sum / ROWS.length;
}

describe('evaluate', () => {
  it('scores a known classifier exactly: top-1, top-k, loss (example in the TSDoc)', async () => {
    const r = await evaluate(gemmClassifier(), ds, { topK: [1, 2, 5] });
    expect(r.count).toBe(6);
    expect(r.top1).toBe(3 / 6);
    expect(r.topK[2]).toBe(5 / 6);
    expect(r.top5).toBe(1);
    expect(r.topK).toEqual({ 1: 0.5, 2: 5 / 6, 5: 1 });
    expect(r.loss).toBeCloseTo(handLoss(), 6);
    expect(r.samplesPerSec).toBeGreaterThan(0);
    expect(r.outputs).toBeUndefined();
  });

  it('gives identical results for every batch size, including partial last batches', async () => {
    const s = await createSession(gemmClassifier());
    try {
      const results = [];
      for (const batchSize of [1, 4, 5, 256]) results.push(await evaluate(s, ds, { batchSize, keepOutputs: true }));
      for (const r of results) {
        expect([r.top1, r.top5, r.loss]).toEqual([results[0]!.top1, results[0]!.top5, results[0]!.loss]);
        expect(r.outputs!.dims).toEqual([6, 3]);
        expect(Array.from(r.outputs!.data)).toEqual(ROWS.flatMap((row) => row.slice(0, 3)));
      }
    } finally {
      await s.release();
    }
  });

  it('pads the last batch of a fixed-batch model and ignores padded rows', async () => {
    const r = await evaluate(gemmClassifier({ batch: 4 }), ds, { batchSize: 2, keepOutputs: true });
    expect(r.count).toBe(6);
    expect(r.top1).toBe(0.5);
    expect(r.loss).toBeCloseTo(handLoss(), 6);
    expect(Array.from(r.outputs!.data)).toEqual(ROWS.flatMap((row) => row.slice(0, 3)));
  });

  it('honours limit, onProgress and loss: none', async () => {
    const seen: [number, number][] = [];
    const r = await evaluate(gemmClassifier(), ds, { batchSize: 2, limit: 3, loss: 'none', onProgress: (d, t) => seen.push([d, t]) });
    expect(r.count).toBe(3);
    expect(r.top1).toBeCloseTo(2 / 3, 12);
    expect(Number.isNaN(r.loss)).toBe(true);
    expect(seen).toEqual([[2, 3], [3, 3]]);
  });

  it('names both shapes when samples cannot be reshaped to the input', async () => {
    const bad = dataset([[1, 2, 3, 4, 5]], [0], [5], 3);
    const err = await evaluate(gemmClassifier(), bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecateursError);
    expect((err as SecateursError).code).toBe('DATA_SHAPE_MISMATCH');
    expect((err as Error).message).toContain("model input 'x' has shape [N, 4]");
    expect((err as Error).message).toContain('samples are [5]');
  });

  it('rejects a dataset with more classes than the output has', async () => {
    const many = dataset(ROWS, LABELS, [4], 7);
    await expect(evaluate(gemmClassifier(), many)).rejects.toThrow(/3 values per sample .* 7 classes/);
  });

  it('rejects bad options with RangeErrors', async () => {
    await expect(evaluate(gemmClassifier(), ds, { batchSize: 0 })).rejects.toThrow(RangeError);
    await expect(evaluate(gemmClassifier(), ds, { topK: [0] })).rejects.toThrow(/'topK'/);
    await expect(evaluate(gemmClassifier(), ds, { limit: -1 })).rejects.toThrow(/'limit'/);
    await expect(evaluate(gemmClassifier(), ds, { loss: 'mse' as 'none' })).rejects.toThrow("'loss' must be 'cross-entropy' or 'none', got 'mse'.");
  });

  it('names the inputs when the model has several and no inputName is given', async () => {
    const m = gemmClassifier();
    m.graph.addInput('extra', 'float32', [1]);
    await expect(evaluate(m, ds)).rejects.toThrow(/2 inputs \('x', 'extra'\); pass 'inputName'/);
  });
});
