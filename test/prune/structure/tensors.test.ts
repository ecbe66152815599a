import { describe, expect, it } from 'vitest';
import { Tensor } from '../../../src/ir/tensor.js';
import { sliceTensor } from '../../../src/prune/structure/tensors.js';

/** Reference slicing: element by element through toFloat32. */
function naive(t: Tensor, axis: number, keep: readonly number[]): number[] {
  const d = t.dims;
  const outer = d.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = d.slice(axis + 1).reduce((a, b) => a * b, 1);
  const x = t.toFloat32();
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (const k of keep) for (let i = 0; i < inner; i++) out.push(x[(o * d[axis]! + k) * inner + i]!);
  return out;
}

describe('sliceTensor', () => {
  const data = Float32Array.from({ length: 4 * 6 * 20 }, (_, i) => i);
  const keep = [0, 2, 3, 5];

  it('slices the last axis (word copies), a middle axis with short and long runs, and the first axis', () => {
    const t = Tensor.fromTyped('float32', [4, 20, 6], data);
    for (const [axis, k] of [[2, keep], [1, [1, 4, 19]], [0, [3]]] as const) {
      const s = sliceTensor(t, axis, k);
      expect([...s.toFloat32()]).toEqual(naive(t, axis, k));
      expect(s.dims[axis]).toBe(k.length);
    }
    const wide = Tensor.fromTyped('float32', [2, 6, 40], Float32Array.from({ length: 480 }, (_, i) => i));
    expect([...sliceTensor(wide, 1, keep).toFloat32()]).toEqual(naive(wide, 1, keep));
  });

  it('reads bytes that are not 4-aligned in their buffer (tensors decoded in place from a file)', () => {
    const bytes = new Uint8Array(1 + data.byteLength);
    bytes.set(new Uint8Array(data.buffer), 1);
    const t = new Tensor('float32', [4, 6, 20], { kind: 'bytes', bytes: bytes.subarray(1) });
    const ref = Tensor.fromTyped('float32', [4, 6, 20], data);
    for (const axis of [1, 2]) expect([...sliceTensor(t, axis, keep).toFloat32()]).toEqual(naive(ref, axis, keep));
  });
});
