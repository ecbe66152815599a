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

describe('batches with shift (random translation)', () => {
  // 12 two-channel 5x6 images with distinct values everywhere, so a shift is identified by its pixels alone.
  const H = 5, W = 6, C = 2;
  const images = {
    name: 'toy-images', split: 'train', count: 12, sampleShape: [C, H, W], numClasses: 3,
    x: Float32Array.from({ length: 12 * C * H * W }, (_, i) => i + 0.5), y: Int32Array.from({ length: 12 }, (_, i) => i % 3),
  };
  /** The reference: image `j` moved by (dx, dy), border repeated. */
  const moved = (j: number, dx: number, dy: number): number[] => {
    const out: number[] = [];
    const clamp = (v: number, n: number): number => Math.min(n - 1, Math.max(0, v));
    for (let c = 0; c < C; c++) for (let r = 0; r < H; r++) for (let q = 0; q < W; q++) {
      out.push(images.x[j * C * H * W + c * H * W + clamp(r - dy, H) * W + clamp(q - dx, W)]!);
    }
    return out;
  };

  it('moves every image by one (dx, dy) within the range, border repeated, the same for both channels', () => {
    const offsets = new Set<string>();
    for (let epoch = 0; epoch < 4; epoch++) {
      for (const b of batches(images, { batchSize: 5, shuffle: true, seed: 3, epoch, shift: 2 })) {
        for (let i = 0; i < b.size; i++) {
          const got = Array.from(b.x.subarray(i * C * H * W, (i + 1) * C * H * W));
          const found: string[] = [];
          for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) if (moved(b.indices[i]!, dx, dy).every((v, k) => v === got[k])) found.push(`${dx},${dy}`);
          expect(found).toHaveLength(1);
          offsets.add(found[0]!);
        }
      }
    }
    expect(offsets.size).toBeGreaterThan(12); // 48 draws over 25 offsets
  });

  it('is deterministic per seed, epoch and batch (buffers reused or not), and differs across epochs', () => {
    const run = (epoch: number, reuseBuffers: boolean): number[][] => {
      const out: number[][] = [];
      for (const b of batches(images, { batchSize: 5, shuffle: true, seed: 3, epoch, shift: 1, reuseBuffers })) out.push(Array.from(b.x));
      return out;
    };
    expect(run(1, true)).toEqual(run(1, false));
    expect(run(2, false)).not.toEqual(run(1, false));
    // shift 0 is the plain copy
    expect([...batches(images, { batchSize: 5, shift: 0 })].map((b) => Array.from(b.x))).toEqual([...batches(images, { batchSize: 5 })].map((b) => Array.from(b.x)));
  });

  it('refuses a bad range or samples that are not images, before yielding anything', () => {
    expect(() => [...batches(images, { batchSize: 5, shift: 1.5 })]).toThrow("'shift' must be an integer >= 0, got 1.5.");
    expect(() => [...batches(images, { batchSize: 5, shift: 5 })]).toThrow("'shift' must be below the image size 5x6, got 5.");
    expect(() => [...batches(toyDataset(10, 3, [4]), { batchSize: 5, shift: 1 })]).toThrow("'shift' translates images: samples must be [C, H, W] or [H, W], these are [4].");
  });
});
