import { describe, expect, it } from 'vitest';
import { batchCount, batches, epochOrder, shapeFor } from '../../src/data/index.js';
import { firstValues, toyDataset } from './helpers.js';

const ds = toyDataset(10, 3);

function visited(opts: Parameters<typeof batches>[1]): number[][] {
  return [...batches(ds, opts)].map((b) => Array.from(b.indices));
}

describe('batches', () => {
  it('covers every index exactly once per epoch, shuffled or not', () => {
    for (const shuffle of [false, true]) {
      const seen = visited({ batchSize: 4, shuffle, seed: 3 }).flat();
      expect(seen.slice().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    expect(visited({ batchSize: 4 })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('is deterministic given seed and epoch, and differs across epochs and seeds', () => {
    const a = visited({ batchSize: 4, shuffle: true, seed: 7, epoch: 2 });
    expect(visited({ batchSize: 4, shuffle: true, seed: 7, epoch: 2 })).toEqual(a);
    expect(visited({ batchSize: 4, shuffle: true, seed: 7, epoch: 3 })).not.toEqual(a);
    expect(visited({ batchSize: 4, shuffle: true, seed: 8, epoch: 2 })).not.toEqual(a);
    expect(Array.from(epochOrder(10, { shuffle: true, seed: 7, epoch: 2 }))).toEqual(a.flat());
  });

  it('carries each sample with its label', () => {
    for (const b of batches(ds, { batchSize: 3, shuffle: true, seed: 1 })) {
      expect(b.x.length).toBe(b.size * 4);
      const fake = { ...ds, x: b.x, y: b.y, count: b.size };
      expect(firstValues(fake)).toEqual(Array.from(b.indices));
      expect(Array.from(b.y)).toEqual(Array.from(b.indices, (i) => i % 3));
    }
  });

  it('drops the short last batch only with dropLast', () => {
    expect(visited({ batchSize: 4, dropLast: true })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(batchCount(ds, { batchSize: 4 })).toBe(3);
    expect(batchCount(ds, { batchSize: 4, dropLast: true })).toBe(2);
    expect(batchCount(ds, { batchSize: 5, dropLast: true })).toBe(2);
    expect(batchCount(ds, { batchSize: 64 })).toBe(1);
    expect(visited({ batchSize: 64, dropLast: true })).toEqual([]);
  });

  it('gives fresh arrays by default and reused ones on request', () => {
    const fresh = [...batches(ds, { batchSize: 4 })];
    expect(fresh[0]!.x.buffer).not.toBe(fresh[1]!.x.buffer);
    const reused = [...batches(ds, { batchSize: 4, reuseBuffers: true })];
    expect(reused[0]!.x.buffer).toBe(reused[2]!.x.buffer);
    expect(reused[2]!.size).toBe(2);
    expect(reused[2]!.x.length).toBe(8);
  });

  it('checks its options', () => {
    expect(() => [...batches(ds, { batchSize: 0 })]).toThrow(
      new RangeError("'batchSize' must be an integer in [1, ∞), got 0."));
    expect(() => [...batches(ds, { batchSize: 2, shuffle: true, epoch: -1 })]).toThrow(RangeError);
  });
});

describe('shapeFor', () => {
  it('prepends the batch size (example in TSDoc)', () => {
    expect(shapeFor({ ...ds, sampleShape: [1, 28, 28] }, 32)).toEqual([32, 1, 28, 28]);
    expect(shapeFor(ds, 3)).toEqual([3, 2, 2]);
    expect(() => shapeFor(ds, -1)).toThrow(RangeError);
  });
});
