import { describe, expect, it } from 'vitest';
import { argsortScores, lowestK, Ranking, rowView } from '../../../src/prune/index.js';
import { Rng } from '../../../src/util/rng.js';
import { seq } from '../helpers.js';

const pruned = (m: Uint8Array): number => m.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);

describe('exact-count selection', () => {
  it('prunes exactly round(s·n) for every sparsity, with heavy ties', () => {
    const rng = new Rng(0);
    const scores = seq(997, () => Math.floor(rng.next() * 5));
    const r = new Ranking(scores);
    for (let s = 0; s < 1; s += 0.01) expect(pruned(r.mask(Math.round(s * 997)))).toBe(Math.round(s * 997));
  });

  it('breaks ties by index and prunes the lowest scores first', () => {
    expect([...lowestK(Float32Array.from([0.3, 0.1, 0.2, 0.1]), 1)]).toEqual([1, 0, 1, 1]);
    expect([...lowestK(Float32Array.from([0.3, 0.1, 0.2, 0.1]), 3)]).toEqual([1, 0, 0, 0]);
    expect([...lowestK(Float32Array.from([-0, 0, -1]), 2)]).toEqual([0, 1, 0]);
  });

  it('the one-sort threshold path of lowestK equals the full ranking, ties and −0 included', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 100; trial++) {
      const n = 1 + rng.nextInt(300);
      const s = seq(n, () => (rng.next() < 0.1 ? -0 : Math.floor(rng.next() * 6) - 2));
      const k = rng.nextInt(n + 1);
      expect([...lowestK(s, k)]).toEqual([...new Ranking(s).mask(k)]);
    }
  });

  it('sorts like a (score, index) comparator, negatives and infinities included', () => {
    const rng = new Rng(1);
    const s = seq(500, (i) => (i % 50 === 0 ? -Infinity : i % 71 === 0 ? Infinity : Math.round(rng.normal() * 4) / 2));
    const want = Array.from({ length: 500 }, (_, i) => i).sort((a, b) => (s[a]! < s[b]! ? -1 : s[a]! > s[b]! ? 1 : a - b));
    expect([...argsortScores(s)]).toEqual(want);
    expect(() => argsortScores(Float32Array.from([1, NaN]))).toThrow(/score 1 is NaN/);
  });

  it('per-row comparison gives every row ⌊k/rows⌋ or ⌈k/rows⌉, the extra to the lowest next candidates', () => {
    // [2 out, 3 in] (transB=1): row 0 = [5, 1, 9], row 1 = [2, 3, 0.5]
    const view = rowView({ shape: [2, 3], inputAxis: 1, kernelAxes: [] });
    const m = lowestK(Float32Array.from([5, 1, 9, 2, 3, 0.5]), 3, view);
    // quotas 1 + 1, the extra goes to row 1 (next candidate 2 < 5)
    expect([...m]).toEqual([1, 0, 1, 0, 1, 0]);
    const wide = new Ranking(seq(300 * 7, (i) => (i * 7919) % 101), rowView({ shape: [300, 7], inputAxis: 1, kernelAxes: [] }));
    const mask = wide.mask(1000);
    expect(pruned(mask)).toBe(1000);
    for (let r = 0; r < 300; r++) expect([3, 4]).toContain(pruned(mask.subarray(r * 7, r * 7 + 7)));
  });

  it('rejects a count outside [0, n]', () => {
    expect(() => new Ranking(new Float32Array(3)).mask(4)).toThrow("'k' is 4, out of range [0, 3].");
  });
});
