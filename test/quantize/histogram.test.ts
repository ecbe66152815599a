import { describe, expect, it } from 'vitest';
import { entropyThreshold, MagnitudeHistogram, percentileThreshold } from '../../src/quantize/index.js';
import { Rng } from '../../src/util/rng.js';

function gaussianWithOutliers(n: number, outliers: number, seed = 3): { values: number[]; max: number } {
  const rng = new Rng(seed);
  const values = Array.from({ length: n }, () => Math.abs(rng.normal()));
  for (let i = 0; i < outliers; i++) values.push(40 + i);
  return { values, max: Math.max(...values) };
}

describe('histogram thresholds', () => {
  it('percentile clips exactly the requested tail (to one bin)', () => {
    const h = new MagnitudeHistogram(100, 1000);
    for (let i = 1; i <= 10_000; i++) h.add(i / 100);
    const t = percentileThreshold(h, 0.01, 10_000);
    expect(t).toBeGreaterThanOrEqual(98.9);
    expect(t).toBeLessThanOrEqual(99.1);
    expect(percentileThreshold(h, 0, 10_000)).toBe(100);
  });

  it('entropy clips rare outliers far below the maximum but keeps the bulk of a Gaussian', () => {
    const { values, max } = gaussianWithOutliers(50_000, 5);
    const h = new MagnitudeHistogram(max, 2048);
    values.forEach((v) => h.add(v));
    const t = entropyThreshold(h, 128);
    expect(t).toBeLessThan(max / 4);
    expect(t).toBeGreaterThan(2.5);
  });

  it('entropy keeps the whole range of a uniform distribution', () => {
    const h = new MagnitudeHistogram(1, 2048);
    for (let i = 0; i < 20_000; i++) h.add((i + 0.5) / 20_000);
    expect(entropyThreshold(h, 128)).toBeGreaterThan(0.95);
  });

  it('refuses nonsense histogram settings', () => {
    expect(() => new MagnitudeHistogram(-1, 64)).toThrow(/top must be finite and >= 0, got -1/);
    expect(() => new MagnitudeHistogram(1, 4)).toThrow(/bins must be an integer >= 8, got 4/);
  });
});
