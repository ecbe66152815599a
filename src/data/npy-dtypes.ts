/** Element types `.npy` files may hold here, named like the ONNX/IR element types. */
export type NpyDtype =
  | 'float16' | 'float32' | 'float64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool';

/** The typed array holding each element type: float16 as raw IEEE half bits, bool as 0/1 bytes. */
export interface NpyDataMap {
  float16: Uint16Array;
  float32: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}

/** Any typed array an {@link NpyArray} can hold. */
export type NpyData = NpyDataMap[NpyDtype];

/**
 * An n-dimensional array as stored in `.npy`: element type, shape (outermost first; `[]` for a scalar) and the
 * values in C (row-major) order. Narrowing on `dtype` narrows `data`.
 *
 * @example
 * ```ts
 * const a: NpyArray = { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) };
 * if (a.dtype === 'float32') a.data; // Float32Array
 * ```
 */
export type NpyArray<D extends NpyDtype = NpyDtype> = {
  [K in D]: { readonly dtype: K; readonly shape: readonly number[]; readonly data: NpyDataMap[K] };
}[D];

interface DtypeInfo {
  /** numpy's type code without byte order, e.g. `f4`. */
  readonly code: string;
  readonly bytes: number;
  readonly make: (buf: ArrayBuffer) => NpyData;
  readonly is: (data: unknown) => boolean;
}

/** The element-type table: numpy type code, width, and how to view bytes as the matching typed array. */
export const NPY_DTYPES: Readonly<Record<NpyDtype, DtypeInfo>> = {
  float16: { code: 'f2', bytes: 2, make: (b) => new Uint16Array(b), is: (d) => d instanceof Uint16Array },
  float32: { code: 'f4', bytes: 4, make: (b) => new Float32Array(b), is: (d) => d instanceof Float32Array },
  float64: { code: 'f8', bytes: 8, make: (b) => new Float64Array(b), is: (d) => d instanceof Float64Array },
  int8: { code: 'i1', bytes: 1, make: (b) => new Int8Array(b), is: (d) => d instanceof Int8Array },
  int16: { code: 'i2', bytes: 2, make: (b) => new Int16Array(b), is: (d) => d instanceof Int16Array },
  int32: { code: 'i4', bytes: 4, make: (b) => new Int32Array(b), is: (d) => d instanceof Int32Array },
  int64: { code: 'i8', bytes: 8, make: (b) => new BigInt64Array(b), is: (d) => d instanceof BigInt64Array },
  uint8: { code: 'u1', bytes: 1, make: (b) => new Uint8Array(b), is: (d) => d instanceof Uint8Array },
  uint16: { code: 'u2', bytes: 2, make: (b) => new Uint16Array(b), is: (d) => d instanceof Uint16Array },
  uint32: { code: 'u4', bytes: 4, make: (b) => new Uint32Array(b), is: (d) => d instanceof Uint32Array },
  uint64: { code: 'u8', bytes: 8, make: (b) => new BigUint64Array(b), is: (d) => d instanceof BigUint64Array },
  bool: { code: 'b1', bytes: 1, make: (b) => new Uint8Array(b), is: (d) => d instanceof Uint8Array },
};

const BY_CODE = new Map<string, NpyDtype>(
  (Object.keys(NPY_DTYPES) as NpyDtype[]).map((k) => [NPY_DTYPES[k].code, k]),
);

/** True on little-endian hosts (all of Node's usual platforms); decides when bytes must be swapped. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A parsed numpy `descr`: element type and whether the file's bytes are little-endian. */
export interface ParsedDescr {
  readonly dtype: NpyDtype;
  readonly littleEndian: boolean;
}

/**
 * Parses a numpy dtype string such as `<f4`, `>i8`, `|u1`, `|b1`, `=f8` or `?`; `undefined` when it is not one of
 * the supported element types.
 */
export function parseDescr(descr: string): ParsedDescr | undefined {
  if (descr === '?') return { dtype: 'bool', littleEndian: true };
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  if (!m) return undefined;
  const [, order = '', kind = '', size = ''] = m;
  const dtype = BY_CODE.get(kind + size);
  if (dtype === undefined) return undefined;
  const single = NPY_DTYPES[dtype].bytes === 1;
  if (order === '|' && !single) return undefined;
  const littleEndian = order === '>' ? false : order === '=' || order === '' ? HOST_LITTLE_ENDIAN : true;
  return { dtype, littleEndian: single ? true : littleEndian };
}

/** The little-endian numpy `descr` written for `dtype`: `<f4`, `|u1`, `|b1`, … */
export function descrOf(dtype: NpyDtype): string {
  const info = NPY_DTYPES[dtype];
  return `${info.bytes === 1 ? '|' : '<'}${info.code}`;
}

/** The supported `descr` strings, for error messages. */
export function supportedDescrs(): string {
  return (Object.keys(NPY_DTYPES) as NpyDtype[]).map(descrOf).join(' ');
}

/** Reverses the byte order of every `width`-byte element of `bytes`, in place. */
export function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}
