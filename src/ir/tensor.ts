import { SecateursError } from '../errors.js';
import { byteLength, type DataType } from './dtype.js';

/** Typed arrays a tensor can be viewed as. */
export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/** Where a tensor's bytes live: in memory, or in an external data file read on first use. */
export type TensorSource =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'strings'; readonly strings: readonly Uint8Array[] }
  | { readonly kind: 'lazy'; readonly byteLength: number; readonly describe: string; readonly read: () => Uint8Array };

/**
 * A constant tensor: element type, dims, and little-endian raw bytes (the ONNX `raw_data` layout), which is what makes
 * round trips bit-identical for every dtype, float16 and bfloat16 included. Bytes from external data are read lazily.
 *
 * @example
 * ```ts
 * const t = Tensor.fromArray('float32', [2, 2], [1, 2, 3, 4]);
 * t.toFloat32();            // Float32Array [1, 2, 3, 4]
 * ```
 */
export class Tensor {
  readonly dtype: DataType;
  readonly dims: readonly number[];
  private source: TensorSource;

  constructor(dtype: DataType, dims: readonly number[], source: TensorSource) {
    for (const d of dims) {
      if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`tensor dims must be integers >= 0, got [${dims.join(', ')}].`);
    }
    this.dtype = dtype;
    this.dims = Object.freeze([...dims]);
    this.source = source;
    const n = this.size;
    if (source.kind === 'strings') {
      if (dtype !== 'string') throw new TypeError(`string data given for a '${dtype}' tensor.`);
      if (source.strings.length !== n) throw new RangeError(`string tensor [${dims.join(', ')}] needs ${n} strings, got ${source.strings.length}.`);
    } else {
      const want = byteLength(dtype, n);
      const got = source.kind === 'bytes' ? source.bytes.byteLength : source.byteLength;
      if (got !== want) {
        throw new SecateursError('TENSOR_SIZE', `${dtype} tensor [${dims.join(', ')}] needs ${want} bytes, found ${got}.`);
      }
    }
  }

  /** Number of elements (product of dims; 1 for a scalar). */
  get size(): number {
    return this.dims.reduce((a, b) => a * b, 1);
  }

  /** True when the bytes have not been read from external data yet. */
  get isLazy(): boolean {
    return this.source.kind === 'lazy';
  }

  /** Byte length of the raw data (without reading lazy data). */
  get byteLength(): number {
    const s = this.source;
    if (s.kind === 'strings') return s.strings.reduce((a, b) => a + b.byteLength, 0);
    return s.kind === 'bytes' ? s.bytes.byteLength : s.byteLength;
  }

  /** Raw little-endian bytes (reads and caches external data on first call). */
  bytes(): Uint8Array {
    const s = this.source;
    if (s.kind === 'strings') throw new TypeError('string tensors have no raw bytes; use strings().');
    if (s.kind === 'lazy') {
      const bytes = s.read();
      if (bytes.byteLength !== s.byteLength) {
        throw new SecateursError('TENSOR_SIZE', `${s.describe}: expected ${s.byteLength} bytes, read ${bytes.byteLength}.`);
      }
      this.source = { kind: 'bytes', bytes };
      return bytes;
    }
    return s.bytes;
  }

  /** The elements of a string tensor as UTF-8 byte strings. */
  strings(): readonly Uint8Array[] {
    if (this.source.kind !== 'strings') throw new TypeError(`'${this.dtype}' tensor has no strings.`);
    return this.source.strings;
  }

  /** A typed-array view of the data in its natural type (copies only if the bytes are misaligned). */
  view(): TypedArray {
    const ctor = CTORS[this.dtype];
    if (!ctor) throw new TypeError(`'${this.dtype}' tensors have no native typed-array view; use bytes().`);
    let b = this.bytes();
    if (b.byteOffset % ctor.BYTES_PER_ELEMENT !== 0) b = b.slice();
    return new ctor(b.buffer, b.byteOffset, b.byteLength / ctor.BYTES_PER_ELEMENT);
  }

  /** The values converted to float32 (a new array); works for every numeric dtype. */
  toFloat32(): Float32Array {
    switch (this.dtype) {
      case 'float16': return halfToFloat32(this.view() as Uint16Array);
      case 'bfloat16': return bf16ToFloat32(this.view() as Uint16Array);
      case 'int64': case 'uint64': return Float32Array.from(this.view() as BigInt64Array, (v) => Number(v));
      default: return Float32Array.from(this.view() as Float32Array);
    }
  }

  /** The values as JS numbers (int64 converted; fine for shapes and indices). */
  toNumbers(): number[] {
    const v = this.dtype === 'float16' || this.dtype === 'bfloat16' ? this.toFloat32() : this.view();
    return Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));
  }

  /** A tensor with the same dtype and dims and new bytes. */
  withBytes(bytes: Uint8Array): Tensor {
    return new Tensor(this.dtype, this.dims, { kind: 'bytes', bytes });
  }

  /** A tensor from a typed array (shared, not copied) of the dtype's natural type. */
  static fromTyped(dtype: DataType, dims: readonly number[], data: TypedArray): Tensor {
    const ctor = CTORS[dtype];
    if (ctor && !(data instanceof ctor)) {
      throw new TypeError(`'${dtype}' tensor needs a ${ctor.name}, got ${data.constructor.name}.`);
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return new Tensor(dtype, dims, { kind: 'bytes', bytes });
  }

  /** A tensor from plain numbers (converted to the dtype; float16/bfloat16 rounded to nearest even). */
  static fromArray(dtype: DataType, dims: readonly number[], values: ArrayLike<number>): Tensor {
    switch (dtype) {
      case 'float16': return Tensor.fromTyped(dtype, dims, float32ToHalf(Float32Array.from(values)));
      case 'bfloat16': return Tensor.fromTyped(dtype, dims, float32ToBf16(Float32Array.from(values)));
      case 'int64': return Tensor.fromTyped(dtype, dims, BigInt64Array.from(Array.from(values), (v) => BigInt(Math.trunc(v))));
      case 'uint64': return Tensor.fromTyped(dtype, dims, BigUint64Array.from(Array.from(values), (v) => BigInt(Math.trunc(v))));
      default: {
        const ctor = CTORS[dtype];
        if (!ctor) throw new TypeError(`cannot build a '${dtype}' tensor from numbers.`);
        return Tensor.fromTyped(dtype, dims, (ctor as unknown as { from(v: ArrayLike<number>): TypedArray }).from(values));
      }
    }
  }

  /** A scalar (dims []) of the given dtype. */
  static scalar(dtype: DataType, value: number): Tensor {
    return Tensor.fromArray(dtype, [], [value]);
  }
}

type TypedCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray; readonly BYTES_PER_ELEMENT: number; readonly name: string };

const CTORS: Partial<Record<DataType, TypedCtor>> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  bool: Uint8Array, float16: Uint16Array, bfloat16: Uint16Array,
  float8e4m3fn: Uint8Array, float8e4m3fnuz: Uint8Array, float8e5m2: Uint8Array, float8e5m2fnuz: Uint8Array,
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits → float32 values. */
export function halfToFloat32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i]!;
    const s = x & 0x8000 ? -1 : 1;
    const e = (x >> 10) & 0x1f;
    const m = x & 0x3ff;
    if (e === 0) out[i] = s * m * 2 ** -24;
    else if (e === 31) out[i] = m ? NaN : s * Infinity;
    else out[i] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return out;
}

/** float32 values → IEEE half bits, round to nearest even. */
export function float32ToHalf(v: Float32Array): Uint16Array {
  const out = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) {
    f32[0] = v[i]!;
    const x = u32[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) { out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); continue; }
    let e = exp - 127 + 15;
    if (e >= 31) { out[i] = sign | 0x7c00; continue; }
    if (e <= 0) {
      if (e < -10) { out[i] = sign; continue; }
      mant |= 0x800000;
      const shift = 14 - e;
      let hm = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && (hm & 1))) hm++;
      out[i] = sign | hm;
      continue;
    }
    let hm = mant >>> 13;
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (hm & 1))) { hm++; if (hm === 0x400) { hm = 0; e++; } }
    out[i] = e >= 31 ? sign | 0x7c00 : sign | (e << 10) | hm;
  }
  return out;
}

/** bfloat16 bits → float32 values. */
export function bf16ToFloat32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  const o32 = new Uint32Array(out.buffer);
  for (let i = 0; i < h.length; i++) o32[i] = h[i]! << 16;
  return out;
}

/** float32 values → bfloat16 bits, round to nearest even (NaN kept quiet). */
export function float32ToBf16(v: Float32Array): Uint16Array {
  const out = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) {
    f32[0] = v[i]!;
    const x = u32[0]!;
    if ((x & 0x7fffffff) > 0x7f800000) { out[i] = (x >>> 16) | 0x40; continue; }
    out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}
