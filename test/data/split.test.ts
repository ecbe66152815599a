import { describe, expect, it } from 'vitest';
import { indicesByClass, splitTrainVal, subset, take } from '../../src/data/index.js';
import { firstValues, toyDataset } from './helpers.js';

describe('subset and take', () => {
  it('copies the chosen samples in order (example in TSDoc)', () => {
    const ds = toyDataset(5, 3);
    const s = subset(ds, [0, 2]);
    expect(s.count).toBe(2);
    expect(firstValues(s)).toEqual([0, 2]);
    expect(Array.from(s.y)).toEqual([0, 2]);
    expect(s.x.buffer).not.toBe(ds.x.buffer);
    expect(subset(ds, [4, 4], 'dup').split).toBe('dup');
  });

  it('checks indices', () => {
    const ds = toyDataset(5, 3);
    expect(() => subset(ds, [1, 5])).toThrow(new RangeError("'indices[1]' is 5, out of range [0, 5)."));
    expect(() => subset(ds, [0.5])).toThrow(RangeError);
  });

  it('takes the first n, at most all', () => {
    const ds = toyDataset(5, 3);
    expect(firstValues(take(ds, 3))).toEqual([0, 1, 2]);
    expect(take(ds, 99).count).toBe(5);
    expect(take(ds, 0).x.length).toBe(0);
    expect(() => take(ds, -1)).toThrow(RangeError);
  });
});

describe('splitTrainVal', () => {
  // Class sizes 400, 100 x 6, and three empty classes.
  const ds = toyDataset(1000, 10, [3], (i) => (i < 400 ? 0 : 1 + (i % 6)));

  it('is seeded, disjoint and complete', () => {
    const a = splitTrainVal(ds, { valFraction: 0.1, seed: 1 });
    const b = splitTrainVal(ds, { valFraction: 0.1, seed: 1 });
    const c = splitTrainVal(ds, { valFraction: 0.1, seed: 2 });
    expect(a.valIndices).toEqual(b.valIndices);
    expect(a.valIndices).not.toEqual(c.valIndices);
    expect([a.train.count, a.val.count]).toEqual([900, 100]);
    expect([a.train.split, a.val.split]).toEqual(['train', 'val']);
    const all = [...a.trainIndices, ...a.valIndices].sort((p, q) => p - q);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(firstValues(a.val)).toEqual(Array.from(a.valIndices));
    expect(Array.from(a.valIndices)).toEqual([...a.valIndices].sort((p, q) => p - q));
  });

  it('keeps class shares when stratified (example in TSDoc)', () => {
    const { train, val } = splitTrainVal(ds, { valFraction: 0.1, seed: 1, stratified: true });
    const perClass = (d: typeof ds): number[] => indicesByClass(d).map((l) => l.length);
    const total = perClass(ds);
    expect(total).toEqual([400, 100, 100, 100, 100, 100, 100, 0, 0, 0]);
    expect(perClass(val)).toEqual(total.map((n) => n / 10));
    expect(perClass(train)).toEqual(total.map((n) => n - n / 10));
  });

  it('allocates an exact valCount by largest remainder', () => {
    const three = toyDataset(10, 3, [1], (i) => (i < 5 ? 0 : i < 8 ? 1 : 2)); // class sizes 5, 3, 2
    const { val } = splitTrainVal(three, { valCount: 3, seed: 9, stratified: true });
    // exact shares 1.5, 0.9, 0.6 -> floors 1, 0, 0 -> remainders 0.9, 0.6, 0.5 go to classes 1 and 2.
    expect(indicesByClass(val).map((l) => l.length)).toEqual([1, 1, 1]);
    expect(splitTrainVal(three, { valCount: 10, seed: 0, stratified: true }).train.count).toBe(0);
    expect(splitTrainVal(three, { valCount: 0, seed: 0 }).val.count).toBe(0);
  });

  it('checks its options', () => {
    expect(() => splitTrainVal(ds, { seed: 1 })).toThrow(TypeError);
    expect(() => splitTrainVal(ds, { seed: 1, valCount: 1, valFraction: 0.1 })).toThrow(TypeError);
    expect(() => splitTrainVal(ds, { seed: 1, valFraction: 1.5 }))
      .toThrow(new RangeError("'valFraction' is 1.5, out of range [0, 1]."));
    expect(() => splitTrainVal(ds, { seed: 1, valCount: 1001 }))
      .toThrow(new RangeError("'valCount' is 1001, out of range [0, 1000]."));
  });
});
