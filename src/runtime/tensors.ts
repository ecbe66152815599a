import { Tensor as OrtTensor } from 'onnxruntime-node';
import { SecateursError } from '../errors.js';
import type { DataType } from '../ir/dtype.js';
import { halfToFloat32, type TypedArray } from '../ir/tensor.js';
import { Rng } from '../util/rng.js';

/**
 * A tensor handed to or returned by onnxruntime, without onnxruntime's types: element type, dims and data in the
 * dtype's natural typed array (`Uint8Array` for bool, `Uint16Array` bits for float16, `BigInt64Array` for int64).
 *
 * @example
 * ```ts
 * const x: TensorData = { dtype: 'float32', dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) };
 * ```
 */
export interface TensorData {
  readonly dtype: DataType;
  readonly dims: readonly number[];
  readonly data: TypedArray | readonly string[];
}

/** The feeds of one run, by graph input name. */
export type Feeds = Readonly<Record<string, TensorData>>;

type OrtType = OrtTensor.Type;

/** IR dtype → onnxruntime tensor type (the names coincide for every type onnxruntime-node can feed). */
const ORT_TYPES: Partial<Record<DataType, OrtType>> = {
  float32: 'float32', uint8: 'uint8', int8: 'int8', uint16: 'uint16', int16: 'int16', int32: 'int32',
  int64: 'int64', string: 'string', bool: 'bool', float16: 'float16', float64: 'float64', uint32: 'uint32',
  uint64: 'uint64', uint4: 'uint4', int4: 'int4',
};

/**
 * The onnxruntime tensor type of an IR dtype, or a SecateursError naming the types the Node binding supports.
 *
 * @example
 * ```ts
 * ortType('bool');       // 'bool'
 * ortType('bfloat16');   // throws RUNTIME_DTYPE
 * ```
 */
export function ortType(dtype: DataType, where = 'tensor'): OrtType {
  const t = ORT_TYPES[dtype];
  if (!t) {
    throw new SecateursError('RUNTIME_DTYPE', `${where}: onnxruntime-node cannot exchange '${dtype}' tensors; it supports ${Object.keys(ORT_TYPES).join(', ')}.`);
  }
  return t;
}

const IR_TYPES = new Map<string, DataType>((Object.entries(ORT_TYPES) as [DataType, OrtType][]).map(([ir, ort]) => [ort, ir]));

/**
 * The IR dtype of an onnxruntime tensor type, or undefined.
 *
 * @example
 * ```ts
 * irType('int64');   // 'int64'
 * ```
 */
export function irType(type: string): DataType | undefined {
  return IR_TYPES.get(type);
}

/**
 * Wraps TensorData as an onnxruntime tensor; the data is shared, never copied (strings excepted).
 *
 * @example
 * ```ts
 * const t = toOrt({ dtype: 'float32', dims: [2], data: new Float32Array([1, 2]) });
 * ```
 */
export function toOrt(t: TensorData, where = 'feed'): OrtTensor {
  const type = ortType(t.dtype, where);
  const n = t.dims.reduce((a, b) => a * b, 1);
  const len = type === 'uint4' || type === 'int4' ? Math.ceil(n / 2) : n;
  if (t.data.length !== len) {
    throw new RangeError(`${where}: ${t.dtype} [${t.dims.join(', ')}] needs ${len} elements, got ${t.data.length}.`);
  }
  const data = Array.isArray(t.data) ? [...(t.data as readonly string[])] : t.data;
  return new OrtTensor(type, data as OrtTensor.DataTypeMap[OrtType], t.dims);
}

/**
 * Views an onnxruntime output tensor as TensorData (no copy: output tensors are fresh per run).
 *
 * @example
 * ```ts
 * const logits = fromOrt(result.logits!);   // { dtype: 'float32', dims: [n, 10], data: Float32Array }
 * ```
 */
export function fromOrt(t: OrtTensor, where = 'output'): TensorData {
  const dtype = irType(t.type);
  if (!dtype) throw new SecateursError('RUNTIME_DTYPE', `${where}: onnxruntime returned an unsupported '${t.type}' tensor.`);
  return { dtype, dims: t.dims, data: t.data as TypedArray | string[] };
}

/**
 * Number of elements of a shape (1 for a scalar).
 *
 * @example
 * ```ts
 * numel([2, 3, 4]);   // 24
 * ```
 */
export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * A deterministic filler tensor for probing and benchmarking: float types get seeded normal values (as float32
 * scaled to ~N(0, 1)), integer and bool types get zeros, so index inputs stay in range.
 *
 * @example
 * ```ts
 * const x = fillTensor('float32', [1, 3, 8, 8], new Rng(0));
 * ```
 */
export function fillTensor(dtype: DataType, dims: readonly number[], rng: Rng): TensorData {
  const n = numel(dims);
  switch (dtype) {
    case 'float32': {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = rng.normal();
      return { dtype, dims, data: a };
    }
    case 'float64': {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = rng.normal();
      return { dtype, dims, data: a };
    }
    case 'float16': return { dtype, dims, data: new Uint16Array(n).fill(0x3c00) }; // 1.0
    case 'int64': return { dtype, dims, data: new BigInt64Array(n) };
    case 'uint64': return { dtype, dims, data: new BigUint64Array(n) };
    case 'int32': return { dtype, dims, data: new Int32Array(n) };
    case 'uint32': return { dtype, dims, data: new Uint32Array(n) };
    case 'int16': return { dtype, dims, data: new Int16Array(n) };
    case 'uint16': return { dtype, dims, data: new Uint16Array(n) };
    case 'int8': return { dtype, dims, data: new Int8Array(n) };
    case 'uint8': case 'bool': return { dtype, dims, data: new Uint8Array(n) };
    case 'string': return { dtype, dims, data: Array.from({ length: n }, () => '') };
    default: throw new SecateursError('RUNTIME_DTYPE', `cannot make a '${dtype}' filler tensor; onnxruntime-node cannot feed it.`);
  }
}

/**
 * Reads a float output as float32 values (float16 and float64 converted into a new array; float32 returned as is).
 *
 * @example
 * ```ts
 * floatData({ dtype: 'float64', dims: [1], data: new Float64Array([0.5]) }, 'y');   // Float32Array [0.5]
 * ```
 */
export function floatData(t: TensorData, where: string): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array) return d;
  if (d instanceof Float64Array) return Float32Array.from(d);
  if (t.dtype === 'float16' && d instanceof Uint16Array) return halfToFloat32(d);
  throw new SecateursError('RUNTIME_DTYPE', `${where}: expected a float32, float16 or float64 tensor, got ${t.dtype} [${t.dims.join(', ')}].`);
}
