import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../../src/data/index.js';
import { loadFashionRaw } from '../../src/data/fashion.js';
import { tempDir } from './helpers.js';

describe('loadFashionMnist', () => {
  it('splits 70000 images into 60000 train and 10000 test, 10 classes (example in TSDoc)', async () => {
    const train = await loadFashionMnist({ split: 'train' });
    const test = await loadFashionMnist({ split: 'test' });
    expect(train.count + test.count).toBe(70000);
    expect([train.count, test.count]).toEqual([60000, 10000]);
    for (const ds of [train, test]) {
      expect(ds.numClasses).toBe(10);
      expect(ds.sampleShape).toEqual([1, 28, 28]);
      expect(ds.x.length).toBe(ds.count * 784);
      const perClass = new Array<number>(10).fill(0);
      ds.y.forEach((c) => perClass[c]!++);
      expect(perClass).toEqual(new Array<number>(10).fill(ds.count / 10));
      expect(Math.max(...ds.x.subarray(0, 784 * 50))).toBeLessThanOrEqual(1);
    }
    expect(test.classNames?.[test.y[0]!]).toBe('T-shirt/top');
    expect(FASHION_MNIST_CLASSES).toHaveLength(10);
    expect(FASHION_MNIST_CLASSES[9]).toBe('Ankle boot');
  });

  it('follows the documented rule: class i%10, image floor(i/10); last 1000 of each class are test', async () => {
    const raw = await loadFashionRaw();
    const test = await loadFashionMnist({ split: 'test', normalize: 'none' });
    const train = await loadFashionMnist({ split: 'train', normalize: 'none' });
    const image = (label: number, k: number): number[] =>
      Array.from(raw.pixels.subarray((label * 7000 + k) * 784, (label * 7000 + k + 1) * 784));
    const sample = (ds: typeof test, i: number): number[] => Array.from(ds.x.subarray(i * 784, (i + 1) * 784));
    expect(sample(train, 0)).toEqual(image(0, 0));
    expect(sample(train, 13)).toEqual(image(3, 1));
    expect(sample(train, 59999)).toEqual(image(9, 5999));
    expect(sample(test, 0)).toEqual(image(0, 6000));
    expect(sample(test, 9998)).toEqual(image(8, 6999));
    expect(train.y[13]).toBe(3);
  });

  it('is deterministic: two loads give identical splits', async () => {
    const a = await loadFashionMnist({ split: 'test' });
    const b = await loadFashionMnist({ split: 'test' });
    expect(Buffer.from(a.x.buffer).equals(Buffer.from(b.x.buffer))).toBe(true);
    expect(a.y).toEqual(b.y);
  });

  it('caches the decoded JSON, and the cache holds exactly what the JSON does', async () => {
    const dir = await tempDir();
    const parsed = await loadFashionRaw(dir);
    expect(parsed.fromCache).toBe(false);
    expect(parsed.cachePath?.startsWith(dir)).toBe(true);
    expect(parsed.cachePath).toMatch(/fashion-mnist-1\.1\.0-v1\.bin$/);
    const cached = await loadFashionRaw(dir);
    expect(cached.fromCache).toBe(true);
    expect(Buffer.from(cached.pixels).equals(Buffer.from(parsed.pixels))).toBe(true);
    expect(Buffer.from(cached.labels).equals(Buffer.from(parsed.labels))).toBe(true);
    expect(Array.from(parsed.labels.subarray(6998, 7002))).toEqual([0, 0, 1, 1]);
  });

  it('standardizes with the Fashion-MNIST statistics', async () => {
    const test = await loadFashionMnist({ split: 'test', normalize: 'standard' });
    expect(Math.min(...test.x.subarray(0, 784 * 10))).toBeCloseTo(-0.286 / 0.353, 5);
  });
});
