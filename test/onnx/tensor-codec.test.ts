import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, type TensorProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { DTYPES, dtypeCode, type DataType } from '../../src/ir/dtype.js';
import { Graph, createModel } from '../../src/ir/graph.js';
import { Tensor, float32ToBf16, float32ToHalf } from '../../src/ir/tensor.js';
import { decodeModel, encodeModel } from '../../src/onnx/index.js';
import { decodeContext } from '../../src/onnx/context.js';
import { decodeTensor, encodeTensor } from '../../src/onnx/tensor-codec.js';
import { randomBytesOf } from './helpers.js';

const ctx = () => decodeContext('t.onnx', undefined);
const proto = (init: Partial<Omit<TensorProto, '$typeName'>>): TensorProto => create(TensorProtoSchema, { name: 't', ...init });
const numeric = (Object.keys(DTYPES) as DataType[]).filter((d) => d !== 'string');

/** Raw bytes for `n` elements of a dtype, with values valid for it (bool 0/1). */
function rawFor(dtype: DataType, n: number, seed: number): Uint8Array {
  const bytes = randomBytesOf(Math.ceil(n * DTYPES[dtype].bytes), seed);
  if (dtype === 'bool') return bytes.map((b) => b & 1);
  return bytes;
}

describe('tensor codec: raw data', () => {
  it.each(numeric)('%s round-trips bit for bit through a whole model', (dtype) => {
    const g = new Graph('g');
    const dims = DTYPES[dtype].bytes === 0.5 ? [5] : [2, 3];
    const t = new Tensor(dtype, dims, { kind: 'bytes', bytes: rawFor(dtype, 6, dtype.length) });
    g.outputs.push(g.addInitializer('w', t));
    const back = decodeModel(encodeModel(createModel(g))).graph.initializers[0]!.constant!;
    expect(back.dtype).toBe(dtype);
    expect(back.dims).toEqual(dims);
    expect(Buffer.from(back.bytes()).equals(Buffer.from(t.bytes()))).toBe(true);
  });

  it('round-trips string tensors through string_data', () => {
    const enc = new TextEncoder();
    const t = new Tensor('string', [3], { kind: 'strings', strings: ['a', '', 'ünï'].map((s) => enc.encode(s)) });
    const p = encodeTensor(t, 's');
    expect(p.rawData.length).toBe(0);
    expect(decodeTensor(p, ctx()).strings().map((s) => new TextDecoder().decode(s))).toEqual(['a', '', 'ünï']);
  });

  it('keeps empty tensors and scalars', () => {
    for (const t of [Tensor.fromArray('float32', [0, 3], []), Tensor.scalar('int64', -5)]) {
      const back = decodeTensor(encodeTensor(t, 'e'), ctx());
      expect(back.dims).toEqual(t.dims);
      expect(back.toNumbers()).toEqual(t.toNumbers());
    }
  });
});

describe('tensor codec: typed fields decode like raw_data', () => {
  const f = [1.5, -2.25, 0, 3e-5, -0, 65504];
  const cases: [DataType, Partial<TensorProto>, Uint8Array][] = [
    ['float32', { floatData: f }, new Uint8Array(Float32Array.from(f).buffer)],
    ['float64', { doubleData: f }, new Uint8Array(Float64Array.from(f).buffer)],
    ['complex64', { floatData: f }, new Uint8Array(Float32Array.from(f).buffer)],
    ['float16', { int32Data: Array.from(float32ToHalf(Float32Array.from(f))) }, new Uint8Array(float32ToHalf(Float32Array.from(f)).buffer)],
    ['bfloat16', { int32Data: Array.from(float32ToBf16(Float32Array.from(f))) }, new Uint8Array(float32ToBf16(Float32Array.from(f)).buffer)],
    ['int8', { int32Data: [-128, 127, 0, -1, 5, 6] }, new Uint8Array(Int8Array.from([-128, 127, 0, -1, 5, 6]).buffer)],
    ['uint8', { int32Data: [0, 255, 1, 2, 3, 4] }, Uint8Array.from([0, 255, 1, 2, 3, 4])],
    ['int16', { int32Data: [-32768, 32767, 0, -1, 5, 6] }, new Uint8Array(Int16Array.from([-32768, 32767, 0, -1, 5, 6]).buffer)],
    ['uint16', { int32Data: [0, 65535, 1, 2, 3, 4] }, new Uint8Array(Uint16Array.from([0, 65535, 1, 2, 3, 4]).buffer)],
    ['int32', { int32Data: [-(2 ** 31), 2 ** 31 - 1, 0, -1, 5, 6] }, new Uint8Array(Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, -1, 5, 6]).buffer)],
    ['bool', { int32Data: [1, 0, 1, 1, 0, 0] }, Uint8Array.from([1, 0, 1, 1, 0, 0])],
    ['float8e4m3fn', { int32Data: [0x38, 0x7e, 0, 1, 2, 0xff] }, Uint8Array.from([0x38, 0x7e, 0, 1, 2, 0xff])],
    ['int64', { int64Data: [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 5n, 6n] }, new Uint8Array(BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 5n, 6n]).buffer)],
    ['uint64', { uint64Data: [2n ** 64n - 1n, 0n, 1n, 2n, 3n, 4n] }, new Uint8Array(BigUint64Array.from([2n ** 64n - 1n, 0n, 1n, 2n, 3n, 4n]).buffer)],
    ['uint32', { uint64Data: [2n ** 32n - 1n, 0n, 1n, 2n, 3n, 4n] }, new Uint8Array(Uint32Array.from([2 ** 32 - 1, 0, 1, 2, 3, 4]).buffer)],
    ['int4', { int32Data: [0x21, 0xf3, 0x07] }, Uint8Array.from([0x21, 0xf3, 0x07])],
  ];
  it.each(cases)('%s', (dtype, fields, raw) => {
    const dims = dtype === 'complex64' ? [3] : dtype === 'int4' ? [5] : [6];
    const typed = decodeTensor(proto({ dataType: dtypeCode(dtype), dims: dims.map(BigInt), ...fields }), ctx());
    const fromRaw = decodeTensor(proto({ dataType: dtypeCode(dtype), dims: dims.map(BigInt), rawData: raw as TensorProto['rawData'] }), ctx());
    expect(Buffer.from(typed.bytes()).equals(Buffer.from(raw))).toBe(true);
    expect(Buffer.from(fromRaw.bytes()).equals(Buffer.from(raw))).toBe(true);
    // and re-encoding a typed-field tensor writes raw_data
    const again = encodeTensor(typed, 't');
    expect(again.int32Data.length + again.floatData.length + again.int64Data.length).toBe(0);
    expect(Buffer.from(again.rawData).equals(Buffer.from(raw))).toBe(true);
  });
});

describe('tensor codec: errors', () => {
  const code = (fn: () => unknown): string => {
    try { fn(); } catch (e) { expect(e).toBeInstanceOf(SecateursError); return `${(e as SecateursError).code}: ${(e as Error).message}`; }
    throw new Error('expected an error');
  };

  it('rejects data that does not match the dims, naming the tensor', () => {
    expect(code(() => decodeTensor(proto({ name: 'w', dataType: 1, dims: [2n, 2n], rawData: new Uint8Array(12) }), ctx())))
      .toBe("ONNX_TENSOR_SIZE: t.onnx: tensor 'w': float32 [2, 2] needs 16 bytes, raw_data has 12.");
    expect(code(() => decodeTensor(proto({ name: 'w', dataType: 1, dims: [3n], floatData: [1, 2] }), ctx())))
      .toBe("ONNX_TENSOR_SIZE: t.onnx: tensor 'w': float32 [3] needs 3 values in float_data, found 2.");
    expect(code(() => decodeTensor(proto({ name: 'w', dataType: 1, dims: [2n], int32Data: [1, 2] }), ctx())))
      .toContain("its data is in int32_data, which ONNX does not allow for float32");
  });

  it('rejects negative and impossible dims without allocating', () => {
    expect(code(() => decodeTensor(proto({ name: 'w', dataType: 1, dims: [2n, -1n] }), ctx())))
      .toBe("ONNX_TENSOR_DIMS: t.onnx: tensor 'w' has a negative dimension in [2, -1].");
    expect(code(() => decodeTensor(proto({ name: 'w', dataType: 1, dims: [10n ** 12n, 10n ** 12n], rawData: new Uint8Array(4) }), ctx())))
      .toMatch(/^ONNX_TENSOR_DIMS: t.onnx: tensor 'w' has dims \[1000000000000, 1000000000000\] \(1\.00e\+24 elements\), more than any memory can hold\.$/);
    expect(code(() => decodeTensor(proto({ name: 'w', dataType: 1, dims: [10n ** 7n, 10n ** 7n], rawData: new Uint8Array(4) }), ctx())))
      .toMatch(/ONNX_TENSOR_SIZE.*needs 400000000000000 bytes, raw_data has 4/);
  });

  it('names the tensor and the code of an unknown dtype', () => {
    expect(code(() => decodeTensor(proto({ name: 'q', dataType: 99, dims: [1n], rawData: new Uint8Array(1) }), ctx())))
      .toBe("ONNX_DTYPE: t.onnx: tensor 'q' has data type code 99, which Secateurs does not support (known codes: 1-23).");
  });
});
