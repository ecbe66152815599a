import { Rng } from '../util/rng.js';
import type { Dataset } from './types.js';
import { sampleSize } from './types.js';

/** Options of {@link batches} and {@link batchCount}. */
export interface BatchOptions {
  /** Samples per batch, an integer >= 1. */
  readonly batchSize: number;
  /** Visit samples in a seeded random order (default `false`: dataset order). */
  readonly shuffle?: boolean;
  /** Shuffle seed (default 0); used modulo 2^32. */
  readonly seed?: number;
  /** Leave out the last batch when it would be smaller than `batchSize` (default `false`). */
  readonly dropLast?: boolean;
  /** Epoch number (default 0): each epoch gets its own order, the same for the same `seed` and `epoch`. */
  readonly epoch?: number;
  /**
   * Yield the same three buffers every time, overwritten by the next batch (default `false`: fresh arrays per
   * batch, safe to keep). Reuse saves allocation when each batch is consumed before the next is asked for.
   */
  readonly reuseBuffers?: boolean;
  /**
   * Random translation (data augmentation): every image moves by its own seeded (dx, dy), each uniform in
   * [−shift, shift] pixels, its border pixels repeated into what it uncovers. Needs samples of shape [C, H, W] or
   * [H, W]. The offsets depend only on `seed`, `epoch` and the batch's position, so a resumed epoch sees the same
   * images. Default 0 (off).
   */
  readonly shift?: number;
}

/** One batch: `size` samples, their values back to back, their labels and their indices in the dataset. */
export interface Batch {
  /** `size * sampleSize` values; shape {@link shapeFor}`(ds, size)`. */
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly size: number;
  readonly indices: Int32Array;
}

/**
 * Number of batches one epoch yields: `ceil(count / batchSize)`, or `floor` with `dropLast`.
 *
 * @example
 * ```ts
 * batchCount(ds, { batchSize: 64 }); // 157 for the 10000 MNIST test images
 * ```
 */
export function batchCount(ds: Dataset, options: Pick<BatchOptions, 'batchSize' | 'dropLast'>): number {
  checkBatchSize(options.batchSize);
  const f = options.dropLast ? Math.floor : Math.ceil;
  return f(ds.count / options.batchSize);
}

/**
 * The order in which an epoch visits the samples: `0..count-1`, or a permutation seeded by `seed` and `epoch`.
 *
 * @example
 * ```ts
 * epochOrder(5, { shuffle: true, seed: 1, epoch: 0 }); // a permutation of 0..4
 * ```
 */
export function epochOrder(count: number, options: Pick<BatchOptions, 'shuffle' | 'seed' | 'epoch'>): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  if (!options.shuffle) return order;
  const seed = options.seed ?? 0;
  const epoch = options.epoch ?? 0;
  if (!Number.isFinite(seed)) throw new RangeError(`'seed' must be a finite number, got ${seed}.`);
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new RangeError(`'epoch' must be an integer in [0, ∞), got ${epoch}.`);
  }
  new Rng(mixSeed(seed, epoch)).shuffle(order);
  return order;
}

/**
 * Yields the batches of one epoch, covering every sample exactly once (except the dropped tail with `dropLast`).
 * Each batch has fresh arrays unless `reuseBuffers` is set.
 *
 * @throws RangeError for a `batchSize` that is not an integer >= 1, or a bad `epoch`/`seed`.
 * @example
 * ```ts
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   for (const b of batches(train, { batchSize: 128, shuffle: true, seed: 7, epoch })) {
 *     feed(b.x, shapeFor(train, b.size), b.y);
 *   }
 * }
 * ```
 */
export function* batches(ds: Dataset, options: BatchOptions): Generator<Batch, void, undefined> {
  const n = batchCount(ds, options);
  const bs = options.batchSize;
  const size = sampleSize(ds);
  const order = epochOrder(ds.count, options);
  const shared = options.reuseBuffers
    ? { x: new Float32Array(bs * size), y: new Int32Array(bs), indices: new Int32Array(bs) }
    : undefined;
  const shifter = options.shift ? new Shifter(ds.sampleShape, options.shift) : undefined;
  for (let b = 0; b < n; b++) {
    const start = b * bs;
    const m = Math.min(bs, ds.count - start);
    const x = shared ? shared.x.subarray(0, m * size) : new Float32Array(m * size);
    const y = shared ? shared.y.subarray(0, m) : new Int32Array(m);
    const indices = shared ? shared.indices.subarray(0, m) : new Int32Array(m);
    const rng = shifter && new Rng(mixSeed(mixSeed(options.seed ?? 0, options.epoch ?? 0) ^ 0x5bd1e995, b));
    for (let i = 0; i < m; i++) {
      const j = order[start + i]!;
      indices[i] = j;
      y[i] = ds.y[j]!;
      const src = ds.x.subarray(j * size, (j + 1) * size);
      if (shifter) shifter.apply(src, x.subarray(i * size, (i + 1) * size), rng!);
      else x.set(src, i * size);
    }
    yield { x, y, size: m, indices };
  }
}

/** Checks a translation range against a sample shape: [C, H, W] or [H, W], 0 <= shift < min(H, W). */
export function checkShift(sampleShape: readonly number[], shift: number): string | undefined {
  if (!Number.isSafeInteger(shift) || shift < 0) return `'shift' must be an integer >= 0, got ${shift}`;
  if (shift === 0) return undefined;
  if (sampleShape.length !== 2 && sampleShape.length !== 3) return `'shift' translates images: samples must be [C, H, W] or [H, W], these are [${sampleShape.join(', ')}]`;
  const [h, w] = sampleShape.slice(-2) as [number, number];
  if (shift >= Math.min(h, w)) return `'shift' must be below the image size ${h}x${w}, got ${shift}`;
  return undefined;
}

/** Moves one image by a random (dx, dy) with its border repeated: out[c, r, q] = in[c, clamp(r − dy), clamp(q − dx)]. */
class Shifter {
  private readonly channels: number;
  private readonly h: number;
  private readonly w: number;

  constructor(sampleShape: readonly number[], private readonly shift: number) {
    const problem = checkShift(sampleShape, shift);
    if (problem) throw new RangeError(`${problem}.`);
    [this.h, this.w] = sampleShape.slice(-2) as [number, number];
    this.channels = sampleShape.length === 3 ? sampleShape[0]! : 1;
  }

  apply(src: Float32Array, dst: Float32Array, rng: Rng): void {
    const { h, w, shift } = this;
    const dx = rng.nextInt(2 * shift + 1) - shift;
    const dy = rng.nextInt(2 * shift + 1) - shift;
    for (let c = 0; c < this.channels; c++) {
      const base = c * h * w;
      for (let r = 0; r < h; r++) {
        const sr = Math.min(h - 1, Math.max(0, r - dy));
        const row = base + sr * w;
        const out = base + r * w;
        for (let q = 0; q < w; q++) dst[out + q] = src[row + Math.min(w - 1, Math.max(0, q - dx))]!;
      }
    }
  }
}

/**
 * The tensor shape of a batch of `batch` samples: `[batch, ...sampleShape]`.
 *
 * @example
 * ```ts
 * shapeFor(mnist, 32); // [32, 1, 28, 28]
 * ```
 */
export function shapeFor(ds: Dataset, batch: number): number[] {
  if (!Number.isInteger(batch) || batch < 0) {
    throw new RangeError(`'batch' must be an integer in [0, ∞), got ${batch}.`);
  }
  return [batch, ...ds.sampleShape];
}

function checkBatchSize(bs: number): void {
  if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`'batchSize' must be an integer in [1, ∞), got ${bs}.`);
}

/** Derives one 32-bit seed per (seed, epoch) pair with a murmur3-style finalizer, so epochs are decorrelated. */
function mixSeed(seed: number, epoch: number): number {
  let h = (Math.trunc(seed) >>> 0) ^ Math.imul(epoch + 1, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
