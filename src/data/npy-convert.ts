import { SecateursError } from '../errors.js';
import type { NpyArray } from './npy-dtypes.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The value of an IEEE 754 half-precision number given its 16 bits (how float16 arrays are held).
 *
 * @example
 * ```ts
 * float16ToNumber(0x3c00); // 1
 * ```
 */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The 16 bits of the half-precision number nearest to `value` (rounded to float32 first, then to nearest even).
 *
 * @example
 * ```ts
 * numberToFloat16(1); // 0x3c00
 * ```
 */
export function numberToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // re-biased from 127 to 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    return sign | roundShift(mant | 0x800000, 14 - e);
  }
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  return sign | (((e << 10) | (mant >>> 13)) + roundBit(mant, 13));
}

function roundShift(m: number, shift: number): number {
  return (m >>> shift) + roundBit(m, shift);
}

/** 1 when dropping the low `shift` bits of `m` must round up (round half to even), else 0. */
function roundBit(m: number, shift: number): number {
  const rem = m & ((1 << shift) - 1);
  const mid = 1 << (shift - 1);
  return rem > mid || (rem === mid && ((m >>> shift) & 1) === 1) ? 1 : 0;
}

/**
 * Converts any {@link NpyArray}'s values to float32 (float16 decoded, 64-bit integers through Number, bool as 0/1).
 * A float32 array's own `data` is returned, not a copy.
 *
 * @example
 * ```ts
 * toFloat32({ dtype: 'uint8', shape: [2], data: new Uint8Array([0, 255]) }); // Float32Array [0, 255]
 * ```
 */
export function toFloat32(array: NpyArray): Float32Array {
  switch (array.dtype) {
    case 'float32':
      return array.data;
    case 'float16':
      return Float32Array.from(array.data, float16ToNumber);
    case 'int64':
    case 'uint64':
      return Float32Array.from(array.data, (v: bigint) => Number(v));
    default:
      return Float32Array.from(array.data);
  }
}

/**
 * Converts class labels of any integer (or integer-valued float) type to int32, checking each is an integer in
 * `[0, 2^31)`. `where` (e.g. `"data.npz: 'y'"`) prefixes error messages.
 *
 * @throws SecateursError `DATA_MALFORMED` naming the first bad label and its index.
 * @example
 * ```ts
 * toLabels({ dtype: 'int64', shape: [2], data: new BigInt64Array([3n, 1n]) }, 'y'); // Int32Array [3, 1]
 * ```
 */
export function toLabels(array: NpyArray, where: string): Int32Array {
  const n = array.data.length;
  const out = new Int32Array(n);
  const value = labelReader(array);
  for (let i = 0; i < n; i++) {
    const v = value(i);
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw new SecateursError('DATA_MALFORMED',
        `${where}: label ${v} at index ${i} is not an integer in [0, 2147483647]; labels must be class indices.`);
    }
    out[i] = v;
  }
  return out;
}

function labelReader(array: NpyArray): (i: number) => number {
  switch (array.dtype) {
    case 'int64':
    case 'uint64': {
      const d = array.data;
      return (i) => Number(d[i]!);
    }
    case 'float16': {
      const d = array.data;
      return (i) => float16ToNumber(d[i]!);
    }
    default: {
      const d = array.data;
      return (i) => d[i]!;
    }
  }
}
