/**
 * TensorProto <-> IR Tensor. Decoding accepts raw_data, every typed field the spec allows for each dtype, and external
 * data (lazy); encoding always writes raw_data (string_data for strings), so bytes round-trip bit for bit.
 */
import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, TensorProtoSchema, TensorProto_DataLocation, type StringStringEntryProto, type TensorProto } from 'onnx-buf';
import { byteLength, dtypeCode, dtypeFromCode, type DataType } from '../ir/dtype.js';
import { Tensor, type TypedArray } from '../ir/tensor.js';
import { onnxError, type DecodeContext } from './context.js';
import { decodeExternal } from './external.js';
import { pickTensorExtras, tensorExtras } from './extras.js';

type TypedField = 'floatData' | 'int32Data' | 'int64Data' | 'doubleData' | 'uint64Data';
type Values = readonly number[] | readonly bigint[];

interface TypedRule {
  /** The TensorProto field that may carry this dtype. */
  readonly field: TypedField;
  /** Entries per element: 2 for complex numbers, 0.5 for 4-bit types (one byte, two elements, per entry). */
  readonly per: number;
  /** Converts the entries to the dtype's little-endian storage. */
  readonly make: (v: Values) => TypedArray;
}

const num = (x: number | bigint): number => Number(x);
const big = (x: number | bigint): bigint => BigInt(x);
/** int32_data entries (always numbers) narrowed to the storage type, as ONNX stores bits and small ints there. */
const bits = (ctor: { from(a: ArrayLike<number>): TypedArray }) => (v: Values) => ctor.from(v as readonly number[]);
const i32 = (make: TypedRule['make'], per = 1): TypedRule => ({ field: 'int32Data', per, make });

/** Which typed field carries each dtype (ONNX 1.20 onnx.proto, TensorProto comments). */
const TYPED: Readonly<Record<Exclude<DataType, 'string'>, TypedRule>> = {
  float32: { field: 'floatData', per: 1, make: (v) => Float32Array.from(v as ArrayLike<number | bigint>, num) },
  complex64: { field: 'floatData', per: 2, make: (v) => Float32Array.from(v as ArrayLike<number | bigint>, num) },
  float64: { field: 'doubleData', per: 1, make: (v) => Float64Array.from(v as ArrayLike<number | bigint>, num) },
  complex128: { field: 'doubleData', per: 2, make: (v) => Float64Array.from(v as ArrayLike<number | bigint>, num) },
  int64: { field: 'int64Data', per: 1, make: (v) => BigInt64Array.from(v as ArrayLike<number | bigint>, big) },
  uint64: { field: 'uint64Data', per: 1, make: (v) => BigUint64Array.from(v as ArrayLike<number | bigint>, big) },
  uint32: { field: 'uint64Data', per: 1, make: (v) => Uint32Array.from(v as ArrayLike<number | bigint>, num) },
  int32: i32(bits(Int32Array)),
  int16: i32(bits(Int16Array)),
  int8: i32(bits(Int8Array)),
  uint16: i32(bits(Uint16Array)),
  uint8: i32(bits(Uint8Array)),
  bool: i32((v) => Uint8Array.from(v as ArrayLike<number | bigint>, (x) => (Number(x) ? 1 : 0))),
  float16: i32(bits(Uint16Array)),
  bfloat16: i32(bits(Uint16Array)),
  float8e4m3fn: i32(bits(Uint8Array)),
  float8e4m3fnuz: i32(bits(Uint8Array)),
  float8e5m2: i32(bits(Uint8Array)),
  float8e5m2fnuz: i32(bits(Uint8Array)),
  uint4: i32(bits(Uint8Array), 0.5),
  int4: i32(bits(Uint8Array), 0.5),
  float4e2m1: i32(bits(Uint8Array), 0.5),
};

const FIELD_NAMES: Readonly<Record<TypedField, string>> = {
  floatData: 'float_data', int32Data: 'int32_data', int64Data: 'int64_data', doubleData: 'double_data', uint64Data: 'uint64_data',
};

/** A label for messages: "tensor 'w'" or the fallback. */
export function tensorLabel(p: { readonly name: string }, fallback = 'an unnamed tensor'): string {
  return p.name ? `tensor '${p.name}'` : fallback;
}

/** The dtype of a code, or ONNX_DTYPE naming the tensor and the code. */
export function tensorDtype(code: number, ctx: DecodeContext, label: string): DataType {
  const dtype = dtypeFromCode(code);
  if (!dtype) throw onnxError('ONNX_DTYPE', ctx.source, `${label} has data type code ${code}, which Secateurs does not support (known codes: 1-23).`);
  return dtype;
}

/**
 * Dims as numbers, refusing negative sizes and element counts no memory could hold (checked before anything is
 * allocated).
 */
export function checkedDims(dims: readonly bigint[], ctx: DecodeContext, label: string): number[] {
  const out: number[] = [];
  let count = 1;
  for (const d of dims) {
    if (d < 0n) throw onnxError('ONNX_TENSOR_DIMS', ctx.source, `${label} has a negative dimension in [${dims.join(', ')}].`);
    out.push(Number(d));
    count *= Number(d);
  }
  if (!Number.isSafeInteger(count) || count > 2 ** 48) {
    throw onnxError('ONNX_TENSOR_DIMS', ctx.source, `${label} has dims [${dims.join(', ')}] (${count.toExponential(2)} elements), more than any memory can hold.`);
  }
  return out;
}

/**
 * Decodes a TensorProto into an IR Tensor. `raw_data` is shared with the input bytes, not copied; external data is
 * read lazily on first `bytes()`. `keepName` remembers the proto's name for re-encoding (initializers take their
 * Value's name instead).
 */
export function decodeTensor(p: TensorProto, ctx: DecodeContext, label = tensorLabel(p), keepName = true): Tensor {
  const dtype = tensorDtype(p.dataType, ctx, label);
  const dims = checkedDims(p.dims, ctx, label);
  const count = dims.reduce((a, b) => a * b, 1);
  let tensor: Tensor;
  if (p.dataLocation === TensorProto_DataLocation.EXTERNAL) tensor = decodeExternal(p, dtype, dims, ctx, label);
  else if (dtype === 'string') tensor = decodeStrings(p, dims, count, ctx, label);
  else tensor = new Tensor(dtype, dims, { kind: 'bytes', bytes: inlineBytes(p, dtype, count, ctx, label) });
  const extras = pickTensorExtras(p, keepName);
  if (extras) tensorExtras.set(tensor, extras);
  return tensor;
}

function decodeStrings(p: TensorProto, dims: number[], count: number, ctx: DecodeContext, label: string): Tensor {
  if (p.stringData.length !== count) {
    throw onnxError('ONNX_TENSOR_SIZE', ctx.source, `${label}: string [${dims.join(', ')}] needs ${count} strings, string_data has ${p.stringData.length}.`);
  }
  return new Tensor('string', dims, { kind: 'strings', strings: p.stringData });
}

function inlineBytes(p: TensorProto, dtype: Exclude<DataType, 'string'>, count: number, ctx: DecodeContext, label: string): Uint8Array {
  const want = byteLength(dtype, count);
  const rule = TYPED[dtype];
  const typed = p[rule.field];
  if (p.rawData.length > 0 || typed.length === 0) {
    if (p.rawData.length === want) return p.rawData;
    const other = (Object.keys(FIELD_NAMES) as TypedField[]).find((f) => p[f].length > 0);
    const hint = other && p.rawData.length === 0 ? ` (its data is in ${FIELD_NAMES[other]}, which ONNX does not allow for ${dtype})` : '';
    throw onnxError('ONNX_TENSOR_SIZE', ctx.source, `${label}: ${dtype} [${p.dims.join(', ')}] needs ${want} bytes, raw_data has ${p.rawData.length}${hint}.`);
  }
  const entries = Math.ceil(count * rule.per);
  if (typed.length !== entries) {
    throw onnxError('ONNX_TENSOR_SIZE', ctx.source, `${label}: ${dtype} [${p.dims.join(', ')}] needs ${entries} values in ${FIELD_NAMES[rule.field]}, found ${typed.length}.`);
  }
  const arr = rule.make(typed);
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

/** Where an encoded tensor's bytes go: inline (raw_data filled by the caller or here) or an external range. */
export interface ExternalPlacement {
  readonly location: string;
  readonly offset: number;
}

/**
 * A TensorProto for `t` with everything except raw_data (strings included, external_data filled when placed
 * outside). Re-emits doc_string, metadata_props and unknown fields the tensor was decoded with.
 */
export function tensorHeader(t: Tensor, name: string, external?: ExternalPlacement): TensorProto {
  const p = create(TensorProtoSchema, { dims: t.dims.map((d) => BigInt(d)), dataType: dtypeCode(t.dtype) });
  if (name) p.name = name;
  if (t.dtype === 'string') p.stringData = [...t.strings()] as TensorProto['stringData'];
  if (external) {
    p.dataLocation = TensorProto_DataLocation.EXTERNAL;
    p.externalData = [
      entry('location', external.location), entry('offset', String(external.offset)), entry('length', String(t.byteLength)),
    ];
  }
  const extras = tensorExtras.get(t);
  if (extras) {
    if (extras.docString) p.docString = extras.docString;
    if (extras.metadataProps.length > 0) p.metadataProps = extras.metadataProps;
    if (extras.unknown) p.$unknown = extras.unknown;
  }
  return p;
}

/** A key/value entry (metadata_props, external_data). */
export function entry(key: string, value: string): StringStringEntryProto {
  return create(StringStringEntryProtoSchema, { key, value });
}

/** A complete inline TensorProto (raw_data from the tensor's bytes; reads lazy data). */
export function encodeTensor(t: Tensor, name: string): TensorProto {
  const p = tensorHeader(t, name);
  if (t.dtype !== 'string' && t.byteLength > 0) p.rawData = t.bytes() as TensorProto['rawData'];
  return p;
}
