import { describe, expect, it } from 'vitest';
import { argmax, cosine, crossEntropy, klDivergence, labelRank, logSumExp } from '../../src/runtime/index.js';

const f = (...v: number[]) => Float32Array.from(v);

describe('logits bookkeeping', () => {
  it('ranks labels with stable tie-breaking and NaN last', () => {
    expect(labelRank(f(0.1, 0.7, 0.2), 0, 3, 2)).toBe(1);
    expect(labelRank(f(1, 1, 1), 0, 3, 0)).toBe(0);
    expect(labelRank(f(1, 1, 1), 0, 3, 2)).toBe(2);
    expect(labelRank(f(0, NaN, 1), 0, 3, 1)).toBe(3);
    expect(labelRank(f(9, 9, 0, 1, 2, 3), 1, 3, 2)).toBe(0); // second row
  });

  it('computes log-sum-exp and cross-entropy stably', () => {
    expect(logSumExp(f(0, 0), 0, 2)).toBeCloseTo(Math.log(2), 12);
    expect(logSumExp(f(1000, 1000), 0, 2)).toBeCloseTo(1000 + Math.log(2), 9);
    expect(crossEntropy(f(2, 0), 0, 2, 0)).toBeCloseTo(Math.log(1 + Math.exp(-2)), 7);
    expect(crossEntropy(f(-1000, 1000), 0, 2, 0)).toBeCloseTo(2000, 6);
  });

  it('computes KL, cosine and argmax', () => {
    expect(klDivergence(f(1, 2), f(1, 2), 0, 2)).toBe(0);
    expect(klDivergence(f(1, 2), f(11, 12), 0, 2)).toBeCloseTo(0, 12);
    const p = [1 / (1 + Math.E), Math.E / (1 + Math.E)];
    expect(klDivergence(f(0, 1), f(0, 0), 0, 2)).toBeCloseTo(p[0]! * Math.log(2 * p[0]!) + p[1]! * Math.log(2 * p[1]!), 7);
    expect(cosine(f(1, 0), f(0, 1), 0, 2)).toBe(0);
    expect(cosine(f(3, 4), f(3, 4), 0, 2)).toBe(1);
    expect(cosine(f(0, 0), f(0, 0), 0, 2)).toBe(1);
    expect(cosine(f(0, 0), f(1, 0), 0, 2)).toBe(0);
    expect(argmax(f(3, 9, 9), 0, 3)).toBe(1);
  });
});
