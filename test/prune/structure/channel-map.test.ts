import { describe, expect, it } from 'vitest';
import { Tensor } from '../../../src/ir/tensor.js';
import { periodOf, regroup, restrict, seedMap, shift, unitsOf } from '../../../src/prune/structure/channel-map.js';
import { reshapeMap } from '../../../src/prune/structure/factors.js';
import { newLength, removedBefore } from '../../../src/prune/structure/removal.js';
import { expandPositions, sliceTensor } from '../../../src/prune/structure/tensors.js';

describe('channel maps', () => {
  it('seedMap and unitsOf (TSDoc examples)', () => {
    expect(seedMap(64, 16)).toEqual({ first: 0, count: 4, offset: 0, block: 16, span: 64, inner: 1 });
    expect([...unitsOf({ first: 0, count: 2, offset: 1, block: 1, span: 4, inner: 2 })]).toEqual([-1, -1, 0, 0, 1, 1, -1, -1]);
    expect(periodOf(seedMap(10))).toBe(10);
  });

  it('restrict keeps the channels inside a range, re-based; undefined outside; a reason when it cuts one', () => {
    expect(restrict(seedMap(192, 16), 64, 128)).toEqual({ first: 4, count: 4, offset: 0, block: 16, span: 64, inner: 1 });
    expect(restrict(seedMap(16), 20, 30)).toBeUndefined();
    expect(restrict(seedMap(64, 16), 8, 40)).toBe('range [8, 40) cuts through channel 0 (positions [0, 16))');
    expect(restrict({ ...seedMap(16), inner: 49 }, 0, 50)).toBe('range [0, 50) cuts through blocks of 49 positions');
  });

  it('shift moves a map into a longer axis (Concat)', () => {
    expect(shift(seedMap(16), 8, 40)).toEqual({ ...seedMap(16), offset: 8, span: 40 });
    expect(shift({ ...seedMap(4), inner: 3 }, 4, 24)).toBe('offset 4 is not a multiple of the 3-position blocks');
  });

  it('regroup maps whole conv groups between input and output channels', () => {
    expect(regroup(seedMap(32), 1, 2)).toEqual({ first: 0, count: 32, offset: 0, block: 2, span: 64, inner: 1 });
    expect(regroup(seedMap(16, 8), 8, 4)).toEqual({ first: 0, count: 2, offset: 0, block: 4, span: 8, inner: 1 });
    expect(regroup(seedMap(16), 8, 4)).toBe('channels of width 1 do not cover whole conv groups of 8');
  });
});

describe('reshapeMap', () => {
  it('Flatten [N,16,7,7] -> [N,784]: 49 consecutive features per channel', () => {
    expect(reshapeMap(['N', 16, 7, 7], ['N', 784], 1, seedMap(16))).toEqual({ kind: 'map', axis: 1, map: { ...seedMap(16), inner: 49 } });
  });

  it('head split: whole heads map to the head axis; single features ask to coarsen (TSDoc examples)', () => {
    expect(reshapeMap(['N', 64], ['N', 4, 16], 1, seedMap(64, 16))).toEqual({ kind: 'map', axis: 1, map: { first: 0, count: 4, offset: 0, block: 1, span: 4, inner: 1 } });
    expect(reshapeMap(['N', 64], ['N', 4, 16], 1, seedMap(64))).toMatchObject({ kind: 'coarsen', factor: 16 });
  });

  it('heads merged into the batch axis ([T,N,64] -> [T,4*N,16]) and back ([T,4*N,16] -> [16*N... ])', () => {
    const heads = { first: 0, count: 4, offset: 0, block: 1, span: 4, inner: 16 };
    expect(reshapeMap([16, 'N', 64], [16, '4*N', 16], 2, heads)).toEqual({ kind: 'map', axis: 1, map: { ...heads, inner: 1 } });
    expect(reshapeMap([16, '4*N', 16], ['16*N', 64], 1, { ...heads, inner: 1 })).toEqual({ kind: 'map', axis: 1, map: heads });
  });

  it('NHWC flatten keeps the channel innermost (repeating period C)', () => {
    expect(reshapeMap(['N', 4, 4, 6], ['N', 96], 3, seedMap(6))).toEqual({ kind: 'map', axis: 1, map: seedMap(6) });
  });

  it('blocks reshapes that mix the channel axis with others, or unknown dims', () => {
    expect(reshapeMap(['N', 6, 4], ['N', 4, 6], 1, seedMap(6))).toMatchObject({ kind: 'block' });
    expect(reshapeMap([null, 6], [6, null], 1, seedMap(6))).toEqual({ kind: 'block', reason: 'reshape [?, 6] → [6, ?] has unknown or zero dims' });
  });
});

describe('removals and slicing', () => {
  it('newLength keeps symbolic lengths symbolic (TSDoc example)', () => {
    expect(newLength('4*N', { period: 4, removed: new Set([1]) })).toBe('3*N');
    expect(newLength(192, { period: 64, removed: new Set([0, 1]) })).toBe(186);
    expect(removedBefore({ period: 8, removed: new Set([1, 5, 6]) }, 6)).toBe(2);
  });

  it('expandPositions and sliceTensor (TSDoc examples)', () => {
    expect(expandPositions(new Set([1]), 4, 12)).toEqual([1, 5, 9]);
    const t = Tensor.fromArray('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
    expect([...sliceTensor(t, 1, [0, 2]).toFloat32()]).toEqual([1, 3, 4, 6]);
    expect(sliceTensor(Tensor.fromArray('int64', [3, 2], [1, 2, 3, 4, 5, 6]), 0, [2]).toNumbers()).toEqual([5, 6]);
    const int4 = new Tensor('int4', [2], { kind: 'bytes', bytes: new Uint8Array([0x21]) });
    expect(() => sliceTensor(int4, 0, [0])).toThrow("cannot slice a 'int4' tensor along an axis.");
  });
});
