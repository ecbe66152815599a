import { describe, expect, it } from 'vitest';
import { benchLatency, percentile } from '../../src/runtime/index.js';
import { convNet, gemmClassifier } from './models.js';

describe('benchLatency', () => {
  it('returns one sane row per batch size (no timing thresholds)', async () => {
    const rows = await benchLatency(convNet(), { batchSizes: [1, 4], warmup: 2, runs: 7 });
    expect(rows.map((r) => r.batch)).toEqual([1, 4]);
    for (const r of rows) {
      expect(r.runs).toBe(7);
      expect(r.p10Ms).toBeGreaterThan(0);
      expect(r.p10Ms).toBeLessThanOrEqual(r.medianMs);
      expect(r.medianMs).toBeLessThanOrEqual(r.p90Ms);
      expect(Number.isFinite(r.meanMs)).toBe(true);
      expect(r.samplesPerSec).toBeCloseTo((r.batch * 1000) / r.medianMs, 6);
    }
  });

  it('keeps running until minTimeMs is reached', async () => {
    // The contract, independent of machine speed: the timed runs add up to at least minTimeMs.
    const [r] = await benchLatency(gemmClassifier(), { batchSizes: [1], warmup: 0, runs: 1, minTimeMs: 40 });
    expect(r!.runs * r!.meanMs).toBeGreaterThanOrEqual(40 - 1e-6);
    expect(r!.runs).toBeGreaterThanOrEqual(1);
  });

  it('refuses a batch size a fixed-batch model cannot take', async () => {
    await expect(benchLatency(gemmClassifier({ batch: 2 }), { batchSizes: [3] })).rejects.toThrow(/fixed batch dim 2; cannot time batch 3/);
    await expect(benchLatency(gemmClassifier(), { runs: 0 })).rejects.toThrow(RangeError);
  });

  it('percentile interpolates between ranks (example in the TSDoc)', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 1)).toBe(4);
    expect(percentile([], 0.5)).toBeNaN();
  });
});
