/**
 * Element types of ONNX tensors, by name, with their TensorProto.DataType codes and byte widths.
 * The IR speaks names; only the codec converts to and from the numeric codes.
 */
export type DataType =
  | 'float32' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'int32' | 'int64' | 'string' | 'bool'
  | 'float16' | 'float64' | 'uint32' | 'uint64' | 'complex64' | 'complex128' | 'bfloat16'
  | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'uint4' | 'int4' | 'float4e2m1';

interface DTypeInfo {
  readonly code: number;
  /** Bytes per element; 0.5 for 4-bit types; 0 for strings. */
  readonly bytes: number;
}

/** The table of element types (ONNX TensorProto.DataType). */
export const DTYPES: Readonly<Record<DataType, DTypeInfo>> = {
  float32: { code: 1, bytes: 4 },
  uint8: { code: 2, bytes: 1 },
  int8: { code: 3, bytes: 1 },
  uint16: { code: 4, bytes: 2 },
  int16: { code: 5, bytes: 2 },
  int32: { code: 6, bytes: 4 },
  int64: { code: 7, bytes: 8 },
  string: { code: 8, bytes: 0 },
  bool: { code: 9, bytes: 1 },
  float16: { code: 10, bytes: 2 },
  float64: { code: 11, bytes: 8 },
  uint32: { code: 12, bytes: 4 },
  uint64: { code: 13, bytes: 8 },
  complex64: { code: 14, bytes: 8 },
  complex128: { code: 15, bytes: 16 },
  bfloat16: { code: 16, bytes: 2 },
  float8e4m3fn: { code: 17, bytes: 1 },
  float8e4m3fnuz: { code: 18, bytes: 1 },
  float8e5m2: { code: 19, bytes: 1 },
  float8e5m2fnuz: { code: 20, bytes: 1 },
  uint4: { code: 21, bytes: 0.5 },
  int4: { code: 22, bytes: 0.5 },
  float4e2m1: { code: 23, bytes: 0.5 },
};

const BY_CODE = new Map<number, DataType>(
  (Object.entries(DTYPES) as [DataType, DTypeInfo][]).map(([name, info]) => [info.code, name]),
);

/** Name of an ONNX element-type code, or undefined for an unknown code. */
export function dtypeFromCode(code: number): DataType | undefined {
  return BY_CODE.get(code);
}

/** ONNX element-type code of a name. */
export function dtypeCode(dtype: DataType): number {
  return DTYPES[dtype].code;
}

/** Byte length of `count` elements of `dtype` (4-bit types pack two per byte, rounded up). */
export function byteLength(dtype: DataType, count: number): number {
  const b = DTYPES[dtype].bytes;
  if (b === 0) throw new TypeError(`'${dtype}' tensors have no fixed byte length.`);
  return Math.ceil(count * b);
}

/** True for float types whose values the IR can read as numbers. */
export function isFloat(dtype: DataType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

/** True for integer and bool types (values that never carry gradients). */
export function isIntegral(dtype: DataType): boolean {
  switch (dtype) {
    case 'uint8': case 'int8': case 'uint16': case 'int16': case 'int32': case 'int64':
    case 'uint32': case 'uint64': case 'bool': case 'uint4': case 'int4':
      return true;
    default:
      return false;
  }
}
