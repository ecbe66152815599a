import { describe, expect, it } from 'vitest';
import { blockMask, findTargets, type PruneTarget } from '../../../src/prune/index.js';
import { Rng } from '../../../src/util/rng.js';
import { mixedModel, seq } from '../helpers.js';

function target(shape: number[], inputAxis: number, kernelAxes: number[] = []): PruneTarget {
  return { name: 'w', node: 'n', opType: 'X', nodes: ['n'], uses: [], shape, size: shape.reduce((a, b) => a * b, 1), dtype: 'float32', inputAxis, outputAxis: inputAxis === 0 ? 1 : 0, kernelAxes, groups: 1, storage: 'initializer' };
}

describe('block masks', () => {
  it('prunes whole blocks of the [out, in] view by mean score', () => {
    const t = target([2, 4], 1);
    const mask = blockMask(Float32Array.from([0, 1, 2, 2, 3, 3, 0.1, 0.1]), t, { rows: 1, cols: 2 }, 4);
    expect([...mask]).toEqual([0, 0, 1, 1, 1, 1, 0, 0]);
  });

  it('views a Conv weight as [out, in·kh·kw] and prunes 4x4 blocks, never more than asked, within one block', () => {
    const [conv] = findTargets(mixedModel());
    const t = { ...conv!, shape: [8, 2, 3, 3], size: 144 };
    const rng = new Rng(2);
    const scores = seq(144, () => rng.next());
    for (const k of [0, 16, 40, 100]) {
      const mask = blockMask(scores, t, { rows: 4, cols: 4, reduce: 'l2' }, k);
      const p = mask.reduce((a, v) => a + 1 - v, 0);
      expect(p).toBeLessThanOrEqual(k);
      expect(k - p).toBeLessThan(16);
      // every pruned element sits in a fully pruned block: rows 4r..4r+3 of the same 4 columns
      for (let r = 0; r < 8; r++) {
        for (let c = 0; c < 18; c++) {
          const b0 = Math.floor(r / 4) * 4;
          const c0 = Math.floor(c / 4) * 4;
          if (mask[r * 18 + c] === 0) for (let rr = b0; rr < b0 + 4; rr++) for (let cc = c0; cc < Math.min(c0 + 4, 18); cc++) expect(mask[rr * 18 + cc]).toBe(0);
        }
      }
    }
    expect(() => blockMask(scores, t, { rows: 0, cols: 4 }, 1)).toThrow("block 'rows' is 0, out of range [1, ∞).");
  });
});
