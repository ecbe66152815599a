import { describe, expect, it } from 'vitest';
import { inputView, nmMask, nmPrunedCount, type PruneTarget } from '../../../src/prune/index.js';
import { Rng } from '../../../src/util/rng.js';
import { seq } from '../helpers.js';

function target(shape: number[], inputAxis: number, kernelAxes: number[] = []): PruneTarget {
  return { name: 'w', node: 'n', opType: 'X', nodes: ['n'], uses: [], shape, size: shape.reduce((a, b) => a * b, 1), dtype: 'float32', inputAxis, outputAxis: inputAxis === 0 ? 1 : 0, kernelAxes, groups: 1, storage: 'initializer' };
}

/** Kept count of every group of m consecutive inputs (tail included), for every row of the input view. */
function groupKeeps(mask: Uint8Array, t: PruneTarget, m: number): number[][] {
  const v = inputView(t);
  const out: number[][] = [];
  for (let r = 0; r < v.rows; r++) {
    const row: number[] = [];
    for (let s = 0; s < v.cols; s += m) {
      let kept = 0;
      for (let c = s; c < Math.min(s + m, v.cols); c++) kept += mask[v.rowOffset[r]! + v.colOffset[c]!]!;
      row.push(kept);
    }
    out.push(row);
  }
  return out;
}

describe('N:M masks', () => {
  const rng = new Rng(3);
  const cases: [string, PruneTarget][] = [
    ['Gemm transB=1 [out, in]', target([6, 16], 1)],
    ['Gemm transB=0 / MatMul [in, out]', target([16, 6], 0)],
    ['Conv [out, in, kh, kw]', target([4, 8, 3, 3], 1, [2, 3])],
  ];
  for (const [n, m] of [[2, 4], [4, 8], [1, 3]] as const) {
    for (const [what, t] of cases) {
      it(`${n}:${m} holds in every group along the input axis of a ${what}`, () => {
        const mask = nmMask(seq(t.size, () => rng.normal()), t, n, m);
        const cols = t.shape[t.inputAxis]!;
        const want = Array.from({ length: Math.ceil(cols / m) }, (_, g) => Math.min(n, cols - g * m));
        for (const row of groupKeeps(mask, t, m)) expect(row).toEqual(want);
        expect(mask.reduce((a, v) => a + 1 - v, 0)).toBe(nmPrunedCount(t, n, m));
      });
    }
  }

  it('keeps the N largest and breaks ties by input index', () => {
    expect([...nmMask(Float32Array.from([0.1, 0.9, 0.5, 0.2]), target([1, 4], 1), 2, 4)]).toEqual([0, 1, 1, 0]);
    expect([...nmMask(Float32Array.from([1, 1, 1, 1]), target([1, 4], 1), 2, 4)]).toEqual([0, 0, 1, 1]);
  });

  it('treats a short tail group as zero-padded: 2:4 over 6 inputs keeps 2 of the first 4 and both of the last 2', () => {
    const mask = nmMask(Float32Array.from([4, 3, 2, 1, 0.1, 0.2]), target([1, 6], 1), 2, 4);
    expect([...mask]).toEqual([1, 1, 0, 0, 1, 1]);
    const three = nmMask(Float32Array.from([4, 3, 2, 1, 0.1, 0.2, 0.3]), target([1, 7], 1), 2, 4);
    expect([...three]).toEqual([1, 1, 0, 0, 0, 1, 1]);
  });

  it('rejects N > M and N < 1 with the valid interval', () => {
    expect(() => nmMask(new Float32Array(4), target([1, 4], 1), 5, 4)).toThrow("N:M 'n' is 5, out of range [1, 4] (N must not exceed M = 4).");
    expect(() => nmMask(new Float32Array(4), target([1, 4], 1), 0, 4)).toThrow(RangeError);
  });
});
