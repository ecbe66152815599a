import type { Normalization } from './types.js';

/** Mean and standard deviation of a dataset's pixels after scaling to [0, 1]. */
export interface PixelStats {
  readonly mean: number;
  readonly std: number;
}

/** The customary MNIST training-set statistics (torchvision's `Normalize((0.1307,), (0.3081,))`). */
export const MNIST_STATS: PixelStats = { mean: 0.1307, std: 0.3081 };

/** The customary Fashion-MNIST training-set statistics. */
export const FASHION_MNIST_STATS: PixelStats = { mean: 0.286, std: 0.353 };

/**
 * Converts 0..255 pixels to floats according to `mode` (see {@link Normalization}); `stats` is used by `standard`.
 *
 * @example
 * ```ts
 * pixelsToFloat(new Uint8Array([0, 255]), 'unit', MNIST_STATS); // Float32Array [0, 1]
 * ```
 */
export function pixelsToFloat(pixels: Uint8Array, mode: Normalization, stats: PixelStats): Float32Array {
  // A 256-entry table: one multiply-add per value would do, but the table also fixes rounding per pixel value.
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = scale(v, mode, stats);
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = table[pixels[i]!]!;
  return out;
}

function scale(v: number, mode: Normalization, stats: PixelStats): number {
  switch (mode) {
    case 'unit':
      return v / 255;
    case 'standard':
      return (v / 255 - stats.mean) / stats.std;
    case 'none':
      return v;
    default:
      return assertNormalization(mode);
  }
}

/** Throws a RangeError for a value that is not a {@link Normalization}; used by exhaustive switches. */
export function assertNormalization(mode: never): never {
  throw new RangeError(`'normalize' must be one of 'unit', 'standard', 'none'; got '${String(mode)}'.`);
}

/** Checks a user-supplied normalization at the API boundary. */
export function checkNormalization(mode: unknown): Normalization {
  if (mode === 'unit' || mode === 'standard' || mode === 'none') return mode;
  return assertNormalization(mode as never);
}

/** Checks a user-supplied split of a built-in dataset. */
export function checkBuiltinSplit(split: unknown): 'train' | 'test' {
  if (split === 'train' || split === 'test') return split;
  throw new RangeError(`'split' must be one of 'train', 'test'; got '${String(split)}'.`);
}
