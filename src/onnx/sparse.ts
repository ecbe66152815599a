/**
 * Sparse initializers (SparseTensorProto): decoded to dense IR tensors (onnxruntime densifies them at load too, so
 * sparsity shrinks files, not latency) and encoded back with linearized int64 indices.
 */
import { constants } from 'node:buffer';
import type { SparseTensorProto } from 'onnx-buf';
import { DTYPES, isFloat, type DataType } from '../ir/dtype.js';
import { Tensor } from '../ir/tensor.js';
import { onnxError, type DecodeContext } from './context.js';
import { peekBytes } from './external.js';
import { checkedDims, decodeTensor } from './tensor-codec.js';

/** The two tensors a sparse initializer is written as. */
export interface SparseParts {
  /** Non-zero elements, [NNZ], same dtype as the dense tensor. */
  readonly values: Tensor;
  /** Their row-major linear positions, int64 [NNZ]. */
  readonly indices: Tensor;
}

/** Decodes a sparse initializer into a dense tensor (lazily when its parts are external). Returns its name too. */
export function decodeSparse(sp: SparseTensorProto, ctx: DecodeContext): { name: string; tensor: Tensor } {
  const name = sp.values?.name ?? '';
  const label = `sparse initializer '${name}'`;
  const fail = (msg: string): Error => onnxError('ONNX_SPARSE', ctx.source, `${label}: ${msg}.`);
  if (!sp.values || !sp.indices) throw fail('values and indices are both required');
  const values = decodeTensor(sp.values, ctx, `${label} values`);
  const indices = decodeTensor(sp.indices, ctx, `${label} indices`);
  const dims = checkedDims(sp.dims, ctx, label);
  const eb = DTYPES[values.dtype].bytes;
  if (!Number.isInteger(eb) || eb === 0) throw fail(`${values.dtype} values are not supported in sparse form`);
  const nnz = values.dims[0] ?? -1;
  if (values.dims.length !== 1) throw fail(`values must be 1-D [NNZ], got [${values.dims.join(', ')}]`);
  const coords = indices.dims.length === 2 ? dims.length : 1;
  if (indices.dims[0] !== nnz || indices.dims.length > 2 || (indices.dims.length === 2 && indices.dims[1] !== dims.length)) {
    throw fail(`indices must be [${nnz}] or [${nnz}, ${dims.length}], got [${indices.dims.join(', ')}]`);
  }
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw fail(`indices must be int64, got ${indices.dtype}`);
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = count * eb;
  if (bytes > constants.MAX_LENGTH) throw fail(`dense form [${dims.join(', ')}] needs ${bytes} bytes, more than one buffer can hold`);
  const densify = (): Uint8Array => scatter(values.bytes(), indices.toNumbers(), coords, dims, eb, fail);
  const tensor = values.isLazy || indices.isLazy
    ? new Tensor(values.dtype, dims, { kind: 'lazy', byteLength: bytes, describe: `${ctx.source}: ${label}`, read: densify })
    : new Tensor(values.dtype, dims, { kind: 'bytes', bytes: densify() });
  return { name, tensor };
}

function scatter(
  values: Uint8Array, idx: readonly number[], coords: number, dims: readonly number[], eb: number, fail: (msg: string) => Error,
): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(count * eb);
  const nnz = values.length / eb;
  for (let k = 0; k < nnz; k++) {
    let pos = 0;
    for (let c = 0; c < coords; c++) {
      const i = idx[k * coords + c]!;
      const size = coords === 1 ? count : dims[c]!;
      if (!(i >= 0 && i < size)) throw fail(`index ${i} of non-zero ${k} is outside [0, ${size})`);
      pos = pos * (coords === 1 ? 1 : size) + i;
    }
    out.set(values.subarray(k * eb, (k + 1) * eb), pos * eb);
  }
  return out;
}

/** Splits a dense tensor into its non-zero elements (bitwise: -0.0 counts as non-zero) and their linear indices. */
export function toSparse(t: Tensor): SparseParts {
  const eb = DTYPES[t.dtype].bytes;
  if (!Number.isInteger(eb) || eb === 0) throw new TypeError(`${t.dtype} tensors cannot be stored sparse.`);
  const bytes = peekBytes(t);
  const positions: number[] = [];
  for (let i = 0, off = 0; i < t.size; i++, off += eb) {
    for (let b = 0; b < eb; b++) {
      if (bytes[off + b] !== 0) { positions.push(i); break; }
    }
  }
  const vals = new Uint8Array(positions.length * eb);
  positions.forEach((p, k) => vals.set(bytes.subarray(p * eb, (p + 1) * eb), k * eb));
  return {
    values: new Tensor(t.dtype, [positions.length], { kind: 'bytes', bytes: vals }),
    indices: Tensor.fromTyped('int64', [positions.length], BigInt64Array.from(positions, (p) => BigInt(p))),
  };
}

/** For `sparse: 'all'`: the sparse parts of a float tensor when they make the file smaller, else undefined. */
export function sparseIfSmaller(t: Tensor): SparseParts | undefined {
  if (!isFloat(t.dtype) || t.size === 0) return undefined;
  const parts = toSparse(t);
  const sparseSize = parts.values.byteLength + parts.indices.byteLength + 16;
  return sparseSize < t.byteLength ? parts : undefined;
}

/** True when ONNX can hold the dtype in a sparse initializer (whole-byte elements). */
export function canBeSparse(dtype: DataType): boolean {
  const eb = DTYPES[dtype].bytes;
  return Number.isInteger(eb) && eb > 0;
}
