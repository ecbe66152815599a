import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { BUILTIN_DATASETS, loadDataset } from '../../src/data/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('loadDataset', () => {
  it('dispatches built-in names', async () => {
    expect(BUILTIN_DATASETS).toEqual(['mnist', 'fashion-mnist']);
    const mnist = await loadDataset('mnist', 'test', { normalize: 'none' });
    expect([mnist.name, mnist.split, mnist.count]).toEqual(['mnist', 'test', 10000]);
    expect(mnist.x[mnist.x.length - 1]).toBe(0);
  });

  it('loads .npz paths with the split picking keys', async () => {
    const ds = await loadDataset(join(fixtures, 'keras_like.npz'), 'test');
    expect([ds.split, ds.count]).toEqual(['test', 5]);
    await expect(loadDataset(join(fixtures, 'keras_like.npz'), 'test', { normalize: 'standard' }))
      .rejects.toThrow(RangeError);
  });

  it('rejects unknown names and bad splits clearly', async () => {
    const e: unknown = await loadDataset('cifar10', 'train').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SecateursError);
    expect((e as SecateursError).code).toBe('DATA_UNKNOWN');
    expect((e as SecateursError).message).toBe(
      "unknown dataset 'cifar10'; expected one of 'mnist', 'fashion-mnist' or a path to an .npz file.");
    await expect(loadDataset('mnist', 'val')).rejects.toThrow(RangeError);
    await expect(loadDataset('toString', 'train')).rejects.toThrow(/unknown dataset 'toString'/);
  });
});
