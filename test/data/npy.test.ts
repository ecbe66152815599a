import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { decodeNpy, encodeNpy, readNpy, writeNpy } from '../../src/data/index.js';
import type { NpyArray } from '../../src/data/index.js';
import { sampleArrays, tempDir } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The header numpy writes, built by hand: magic, version 1.0, little-endian length, dict padded to 64 bytes. */
function handMade(dict: string, body: Uint8Array, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + body.length);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(body, total);
  return out;
}

function errorOf(f: () => unknown): SecateursError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SecateursError);
    return e as SecateursError;
  }
  throw new Error('expected an error');
}

describe('npy', () => {
  it('reads a hand-made numpy file (format 1.0, <f4, (2, 3))', () => {
    const body = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6.5]).buffer);
    const bytes = handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", body);
    expect(bytes.length).toBe(128 + 24);
    const a = decodeNpy(bytes, 'hand.npy');
    expect(a.dtype).toBe('float32');
    expect(a.shape).toEqual([2, 3]);
    expect(a.data).toEqual(new Float32Array([1, 2, 3, 4, 5, 6.5]));
  });

  it('writes the same bytes as the hand-made header (example in TSDoc)', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6.5]);
    const bytes = encodeNpy({ dtype: 'float32', shape: [2, 3], data });
    expect(bytes.length).toBe(152);
    const expected = handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      new Uint8Array(data.buffer));
    expect(bytes).toEqual(expected);
    const round = decodeNpy(encodeNpy({ dtype: 'int32', shape: [3], data: new Int32Array([1, 2, 3]) }), 'a.npy');
    expect(round.shape).toEqual([3]);
  });

  it.each(sampleArrays().map((a) => [a.dtype, a] as const))('round-trips %s through a file', async (_, a) => {
    const path = join(await tempDir(), 'a.npy');
    await writeNpy(path, a);
    const back = await readNpy(path);
    expect(back).toEqual(a);
    expect(back.data.constructor).toBe(a.data.constructor);
  });

  it('reads numpy files: np.save, a scalar, versions 2.0 and 3.0, big-endian', async () => {
    const f4 = await readNpy(join(fixtures, 'f4_2x3.npy'));
    expect(f4).toEqual(sampleArrays()[1]);
    const scalar = await readNpy(join(fixtures, 'scalar_f8.npy'));
    expect(scalar).toEqual({ dtype: 'float64', shape: [], data: new Float64Array([2.5]) });
    expect(await readNpy(join(fixtures, 'v2_f4.npy'))).toEqual(f4);
    expect(await readNpy(join(fixtures, 'v3_f4.npy'))).toEqual(f4);
    const be = await readNpy(join(fixtures, 'big_endian_i4.npy'));
    expect(be).toEqual({ dtype: 'int32', shape: [3], data: new Int32Array([1, -2, 70000]) });
  });

  it('writes zero-size, scalar and 1-d shapes the way numpy spells them', () => {
    const text = (a: NpyArray): string => new TextDecoder().decode(encodeNpy(a).subarray(10, 128)).trim();
    expect(text({ dtype: 'uint8', shape: [], data: new Uint8Array(1) })).toContain("'shape': (), }");
    expect(text({ dtype: 'uint8', shape: [4], data: new Uint8Array(4) })).toContain("'shape': (4,), }");
    const empty = decodeNpy(encodeNpy({ dtype: 'float64', shape: [0, 3], data: new Float64Array(0) }), 'e');
    expect(empty.shape).toEqual([0, 3]);
  });

  it('refuses Fortran order with advice, naming the file', async () => {
    const e = await readNpy(join(fixtures, 'fortran_f4.npy')).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SecateursError);
    expect((e as SecateursError).code).toBe('DATA_UNSUPPORTED');
    expect((e as SecateursError).message).toMatch(/fortran_f4\.npy: .*Fortran order.*np\.ascontiguousarray/);
  });

  it('explains malformed headers and lengths', () => {
    const body = new Uint8Array(8);
    expect(errorOf(() => decodeNpy(new Uint8Array(20), 'z.npy')).message).toMatch(/z\.npy: not a \.npy file/);
    const c8 = handMade("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", body);
    expect(errorOf(() => decodeNpy(c8, 'c.npy')).message)
      .toMatch(/c\.npy: unsupported dtype '<c8'; supported: <f2 <f4/);
    const rec = handMade("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", body);
    expect(errorOf(() => decodeNpy(rec, 'r.npy')).code).toBe('DATA_UNSUPPORTED');
    const noShape = handMade("{'descr': '<f4', 'fortran_order': False}", body);
    expect(errorOf(() => decodeNpy(noShape, 's.npy')).message).toMatch(/s\.npy: header .* lacks 'shape'/);
    const short = handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", body);
    expect(errorOf(() => decodeNpy(short, 'l.npy')).message)
      .toBe("l.npy: expected 12 data bytes for shape (3) of '<f4', found 8.");
    const v4 = handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", body, 4);
    expect(errorOf(() => decodeNpy(v4, 'v.npy')).message).toMatch(/unsupported \.npy format version 4\.0/);
  });

  it('checks arrays before writing', () => {
    expect(() => encodeNpy({ dtype: 'float32', shape: [2], data: new Float64Array(2) } as unknown as NpyArray))
      .toThrow(new TypeError("'data' of a float32 array must be a Float32Array, got Float64Array."));
    expect(() => encodeNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }))
      .toThrow(new RangeError("'shape' [2,2] holds 4 values but 'data' has 3."));
    expect(() => encodeNpy({ dtype: 'float32', shape: [-1], data: new Float32Array(1) })).toThrow(RangeError);
  });
});
