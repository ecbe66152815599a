/**
 * Constant tensors of members: where they live (an initializer or a Constant node's `value`), slicing one along an
 * axis, and expanding a member's per-period positions over the whole axis.
 * @module
 */
import { SecateursError } from '../../errors.js';
import { DTYPES } from '../../ir/dtype.js';
import type { Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';

/**
 * The data of a constant value: its initializer tensor, or the `value` tensor of the Constant node producing it.
 *
 * @example
 * ```ts
 * constantTensor(model.graph.requireValue('fc.weight'))?.dims;   // [10, 64] even when a Constant node holds it
 * ```
 */
export function constantTensor(v: Value): Tensor | undefined {
  if (v.constant) return v.constant;
  const p = v.producer;
  if (!p || p.opType !== 'Constant' || (p.domain !== '' && p.domain !== 'ai.onnx')) return undefined;
  const a = p.attributes.get('value');
  return a?.type === 'tensor' ? a.value : undefined;
}

/**
 * Every position of an axis of `length` whose position modulo `period` is in `perPeriod`, ascending.
 *
 * @example
 * ```ts
 * expandPositions(new Set([1]), 4, 12);   // [1, 5, 9]
 * ```
 */
export function expandPositions(perPeriod: ReadonlySet<number>, period: number, length: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < length; p++) if (perPeriod.has(p % period)) out.push(p);
  return out;
}

/**
 * A new tensor keeping only positions `keep` (ascending) of `axis`, for any byte-sized element type.
 *
 * @throws SecateursError `PRUNE_DTYPE` for 4-bit and string tensors.
 * @example
 * ```ts
 * const t = Tensor.fromArray('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
 * sliceTensor(t, 1, [0, 2]).toFloat32();   // [1, 3, 4, 6]
 * ```
 */
export function sliceTensor(t: Tensor, axis: number, keep: readonly number[]): Tensor {
  const width = DTYPES[t.dtype].bytes;
  if (!Number.isInteger(width) || width === 0) throw new SecateursError('PRUNE_DTYPE', `cannot slice a '${t.dtype}' tensor along an axis.`);
  const dims = t.dims;
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const length = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1) * width;
  const src = t.bytes();
  const dst = new Uint8Array(outer * keep.length * inner);
  if (inner % 4 === 0 && inner <= SMALL_RUN) copyWords(src, dst, outer, length, keep, inner / 4);
  else {
    let o = 0;
    for (let i = 0; i < outer; i++) {
      for (const k of keep) {
        const at = (i * length + k) * inner;
        dst.set(src.subarray(at, at + inner), o);
        o += inner;
      }
    }
  }
  const newDims = [...dims];
  newDims[axis] = keep.length;
  return new Tensor(t.dtype, newDims, { kind: 'bytes', bytes: dst });
}

/** Below this many bytes per kept position, a word loop beats a `set` per position (slicing a weight's last axis). */
const SMALL_RUN = 64;

/** The kept positions copied as 32-bit words (`words` per position): slicing ViT-B's MLP columns drops from ~10 s to ~1 s. */
function copyWords(src: Uint8Array, dst: Uint8Array, outer: number, length: number, keep: readonly number[], words: number): void {
  const aligned = src.byteOffset % 4 === 0 ? src : src.slice();
  const from = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  const to = new Uint32Array(dst.buffer, dst.byteOffset, dst.byteLength / 4);
  const ks = Int32Array.from(keep);
  let o = 0;
  for (let i = 0; i < outer; i++) {
    const row = i * length;
    for (let j = 0; j < ks.length; j++) {
      const at = (row + ks[j]!) * words;
      for (let w = 0; w < words; w++) to[o++] = from[at + w]!;
    }
  }
}
