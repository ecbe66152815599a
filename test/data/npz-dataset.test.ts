import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { loadNpzDataset, writeNpz } from '../../src/data/index.js';
import type { NpyArray } from '../../src/data/index.js';
import { tempDir } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

async function npz(arrays: Record<string, NpyArray>, name = 'data.npz'): Promise<string> {
  const path = join(await tempDir(), name);
  await writeNpz(path, arrays);
  return path;
}

async function errorOf(p: Promise<unknown>): Promise<SecateursError> {
  const e: unknown = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(SecateursError);
  return e as SecateursError;
}

const x4 = { dtype: 'float64', shape: [4, 1, 2], data: new Float64Array([0, 1, 2, 3, 4, 5, 6, 7]) } as const;
const y4 = { dtype: 'int64', shape: [4], data: new BigInt64Array([0n, 2n, 1n, 2n]) } as const;

describe('loadNpzDataset', () => {
  it('loads x and y, converting to float32 and int32', async () => {
    const ds = await loadNpzDataset(await npz({ x: x4, y: y4 }, 'digits.npz'));
    expect(ds).toEqual({
      name: 'digits', split: 'all', x: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]), y: new Int32Array([0, 2, 1, 2]),
      count: 4, sampleShape: [1, 2], numClasses: 3,
    });
  });

  it('picks x_<split>/y_<split> from a numpy-written Keras-style archive, scaling uint8 to [0, 1]', async () => {
    const path = join(fixtures, 'keras_like.npz');
    const train = await loadNpzDataset(path, { split: 'train' });
    expect([train.name, train.split, train.count, train.numClasses]).toEqual(['keras_like', 'train', 15, 3]);
    expect(train.sampleShape).toEqual([4, 4]);
    expect(train.x[17]).toBeCloseTo(17 / 255, 7);
    const test = await loadNpzDataset(path, { split: 'test', normalize: 'none', numClasses: 5 });
    expect(test.count).toBe(5);
    expect(test.x[0]).toBe((15 * 16) % 256);
    expect(Array.from(test.y)).toEqual([0, 1, 2, 0, 1]);
    expect(test.numClasses).toBe(5);
  });

  it('names the file and lists the keys found when a key is missing (example keys in TSDoc)', async () => {
    const e = await errorOf(loadNpzDataset(await npz({ images: x4, labels: y4 }), { yKey: 'labels' }));
    expect(e.code).toBe('DATA_KEY_MISSING');
    expect(e.message).toBe("data.npz: no array 'x'; keys found: 'images', 'labels'.");
    const ok = await loadNpzDataset(await npz({ images: x4, labels: y4 }), { xKey: 'images', yKey: 'labels' });
    expect(ok.sampleShape).toEqual([1, 2]);
  });

  it('reports disagreeing counts and one-hot labels together', async () => {
    const y = { dtype: 'float32', shape: [3, 3], data: new Float32Array(9) } as const;
    const e = await errorOf(loadNpzDataset(await npz({ x: x4, y })));
    expect(e.code).toBe('DATA_MALFORMED');
    expect(e.message).toContain("data.npz: 2 problems");
    expect(e.message).toContain("'y' must hold one class index per sample, shape (N,) or (N, 1), found (3, 3)");
    expect(e.message).toContain("'x' has 4 samples (4, 1, 2) but 'y' has 3 labels (3, 3)");
  });

  it('rejects labels that are not class indices, naming the key', async () => {
    const neg = { dtype: 'int32', shape: [4], data: new Int32Array([0, 1, -1, 2]) } as const;
    const e = await errorOf(loadNpzDataset(await npz({ x: x4, y: neg })));
    expect(e.message).toMatch(/^data\.npz: 'y': label -1 at index 2 is not an integer/);
    const frac = { dtype: 'float32', shape: [4, 1], data: new Float32Array([0, 1, 1.5, 2]) } as const;
    expect((await errorOf(loadNpzDataset(await npz({ x: x4, y: frac })))).message).toMatch(/label 1\.5 at index 2/);
    const big = await errorOf(loadNpzDataset(await npz({ x: x4, y: y4 }), { numClasses: 2 }));
    expect(big.message).toBe("data.npz: 'y' has label 2, outside [0, 1] for numClasses 2.");
  });

  it('reports a missing file as DATA_MISSING', async () => {
    const e = await errorOf(loadNpzDataset(join(await tempDir(), 'absent.npz')));
    expect(e.code).toBe('DATA_MISSING');
    expect(e.message).toMatch(/^absent\.npz: file not found/);
  });
});
