import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { numberToFloat16 } from '../../src/data/index.js';
import type { Dataset, NpyArray } from '../../src/data/index.js';

/** A small dataset whose sample i is filled with the value i, label `labelOf(i)`. */
export function toyDataset(count: number, numClasses: number, sampleShape: number[] = [2, 2],
  labelOf: (i: number) => number = (i) => i % numClasses): Dataset {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * size);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    x.fill(i, i * size, (i + 1) * size);
    y[i] = labelOf(i);
  }
  return { name: 'toy', split: 'train', x, y, count, sampleShape, numClasses };
}

/** A fresh temporary folder, removed when the calling test finishes (call it inside a test). */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'secateurs-data-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The first sample value of each sample (toy datasets store the original index there). */
export function firstValues(ds: Dataset): number[] {
  const size = ds.sampleShape.reduce((a, b) => a * b, 1);
  return Array.from({ length: ds.count }, (_, i) => ds.x[i * size]!);
}

/** One 2x3 array of every dtype, with the values make_fixtures.py writes. */
export function sampleArrays(): NpyArray[] {
  const ints = [0, 1, 2, 3, 4, 5];
  const shape = [2, 3];
  return [
    { dtype: 'float16', shape, data: Uint16Array.from(ints, (i) => numberToFloat16(i * 0.5 - 1.25)) },
    { dtype: 'float32', shape, data: Float32Array.from(ints, (i) => i * 0.5 - 1.25) },
    { dtype: 'float64', shape, data: Float64Array.from(ints, (i) => i * 0.5 - 1.25) },
    { dtype: 'int8', shape, data: Int8Array.from(ints, (i) => i * 3 - 7) },
    { dtype: 'int16', shape, data: Int16Array.from(ints, (i) => i * 3 - 7) },
    { dtype: 'int32', shape, data: Int32Array.from(ints, (i) => i * 3 - 7) },
    { dtype: 'int64', shape, data: BigInt64Array.from(ints, (i) => BigInt(i * 3 - 7)) },
    { dtype: 'uint8', shape, data: Uint8Array.from(ints, (i) => i * 3) },
    { dtype: 'uint16', shape, data: Uint16Array.from(ints, (i) => i * 3) },
    { dtype: 'uint32', shape, data: Uint32Array.from(ints, (i) => i * 3) },
    { dtype: 'uint64', shape, data: BigUint64Array.from(ints, (i) => BigInt(i * 3)) },
    { dtype: 'bool', shape, data: Uint8Array.from(ints, (i) => i % 2) },
  ];
}
