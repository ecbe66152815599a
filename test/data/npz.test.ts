import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { decodeNpz, encodeNpz, readNpz, writeNpz } from '../../src/data/index.js';
import { sampleArrays, tempDir } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const CODES: Record<string, string> = {
  float16: 'f2', float32: 'f4', float64: 'f8', int8: 'i1', int16: 'i2', int32: 'i4', int64: 'i8',
  uint8: 'u1', uint16: 'u2', uint32: 'u4', uint64: 'u8', bool: 'b1',
};

describe('npz', () => {
  it.each(['all_dtypes.npz', 'all_dtypes_compressed.npz'])('reads every dtype from numpy (%s)', async (file) => {
    const arrays = await readNpz(join(fixtures, file));
    expect(arrays.size).toBe(12);
    for (const a of sampleArrays()) expect(arrays.get(CODES[a.dtype]!)).toEqual(a);
  });

  it.each([false, true])('round-trips every dtype (compress: %s)', async (compress) => {
    const path = join(await tempDir(), 'all.npz');
    const input = new Map(sampleArrays().map((a) => [a.dtype, a]));
    await writeNpz(path, input, { compress });
    const back = await readNpz(path);
    expect([...back.keys()]).toEqual([...input.keys()]);
    expect(back).toEqual(input);
  });

  it('writes identical bytes for identical arrays, and lists keys (example in TSDoc)', () => {
    const one = encodeNpz({ a: { dtype: 'uint8', shape: [1], data: new Uint8Array([7]) } });
    const two = encodeNpz({ a: { dtype: 'uint8', shape: [1], data: new Uint8Array([7]) } });
    expect(one).toEqual(two);
    expect(decodeNpz(one, 'mem.npz').keys).toEqual(['a']);
    const x = { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } as const;
    expect(decodeNpz(encodeNpz({ x }, { compress: true }), 'c.npz').arrays.get('x')).toEqual(x);
  });

  it('decodes only the requested keys', () => {
    const bytes = encodeNpz(new Map(sampleArrays().map((a) => [a.dtype, a])));
    const got = decodeNpz(bytes, 'some.npz', ['int8', 'nope']);
    expect([...got.arrays.keys()]).toEqual(['int8']);
    expect(got.keys).toHaveLength(12);
  });

  it('names a file that is not a zip archive, and a bad member', async () => {
    const path = join(await tempDir(), 'junk.npz');
    await writeFile(path, new TextEncoder().encode('this is not a zip file at all'));
    const e: unknown = await readNpz(path).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SecateursError);
    expect((e as SecateursError).code).toBe('DATA_MALFORMED');
    expect((e as SecateursError).message).toMatch(/^junk\.npz: not a readable \.npz \(zip\) archive/);
    const { zipSync } = await import('fflate');
    const bad = zipSync({ 'w.npy': new Uint8Array([1, 2, 3]) });
    expect(() => decodeNpz(bad, 'bad.npz')).toThrow(/bad\.npz\/w\.npy: not a \.npy file/);
  });

  it('rejects empty keys', () => {
    expect(() => encodeNpz({ '': sampleArrays()[0]! })).toThrow(RangeError);
  });
});
