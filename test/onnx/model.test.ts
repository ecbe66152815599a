import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema, AttributeProto_AttributeType as AT, FunctionProtoSchema, GraphProtoSchema, ModelProtoSchema,
  NodeProtoSchema, OperatorSetIdProtoSchema, SparseTensorProtoSchema, ValueInfoProtoSchema, StringStringEntryProtoSchema, TensorAnnotationSchema, TensorProtoSchema,
  TrainingInfoProtoSchema, type ModelProto,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { Graph, createModel, type Model } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { decodeModel, encodeModel, loadModel } from '../../src/onnx/index.js';
import { describeGraph, floats, mlpModel, runOrt } from './helpers.js';

const roundTrip = (m: Model): Model => decodeModel(encodeModel(m));

function errorOf(fn: () => unknown): SecateursError {
  try { fn(); } catch (e) { if (e instanceof SecateursError) return e; throw e; }
  throw new Error('expected a SecateursError');
}

/** A graph using every attribute kind the IR models, plus an opaque one. */
function allAttributesModel(): Model {
  const g = new Graph('attrs');
  const x = g.addInput('x', 'float32', [2]);
  const body = new Graph('body');
  const bx = body.addInput('bx', 'float32', [2]);
  body.outputs.push(body.addNode('Neg', [bx], { name: 'neg' }).output(0)!);
  const sparse = toBinary(AttributeProtoSchema, create(AttributeProtoSchema, {
    name: 'sp', type: AT.SPARSE_TENSOR,
    sparseTensor: create(SparseTensorProtoSchema, { dims: [4n], values: create(TensorProtoSchema, { dims: [1n], dataType: 1, floatData: [2] }), indices: create(TensorProtoSchema, { dims: [1n], dataType: 7, int64Data: [3n] }) }),
  }));
  const node = g.addNode('Everything', [x], {
    name: 'all', domain: 'test.domain',
    attributes: {
      f: { type: 'float', value: 0.125 }, i: { type: 'int', value: -7 }, s: { type: 'string', value: 'héllo' },
      t: { type: 'tensor', value: Tensor.fromArray('int64', [2], [1, -1]) }, g: { type: 'graph', value: body },
      fs: { type: 'floats', value: [1.5, -0.25] }, is: { type: 'ints', value: [0, 2 ** 40, -3] }, ss: { type: 'strings', value: ['a', ''] },
      ts: { type: 'tensors', value: [Tensor.scalar('float16', 1), Tensor.fromArray('bool', [2], [1, 0])] },
      gs: { type: 'graphs', value: [body] }, sp: { type: 'opaque', value: sparse },
    },
  });
  g.outputs.push(node.output(0)!);
  const m = createModel(g, 17);
  m.opsets.set('test.domain', 1);
  return m;
}

describe('decodeModel / encodeModel', () => {
  it('round-trips nodes, attributes of every kind, values, dtypes and shapes', () => {
    for (const m of [mlpModel(), allAttributesModel()]) {
      const back = roundTrip(m);
      expect(describeGraph(back.graph)).toEqual(describeGraph(m.graph));
      expect(back.opsets).toEqual(m.opsets);
      expect(back.irVersion).toBe(m.irVersion);
    }
  });

  it('is deterministic: encoding twice, or encoding the decoded model, gives identical bytes', () => {
    const m = allAttributesModel();
    const a = encodeModel(m);
    expect(Buffer.from(encodeModel(m)).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(encodeModel(decodeModel(a))).equals(Buffer.from(a))).toBe(true);
  });

  it('keeps model metadata', () => {
    const m = mlpModel();
    Object.assign(m, { producerName: 'p', producerVersion: '1.2', domain: 'ai.test', modelVersion: 3, docString: 'doc' });
    m.metadata.set('author', 'me').set('license', 'MIT');
    m.graph.docString = 'graph doc';
    m.graph.nodes[0]!.docString = 'node doc';
    m.graph.inputs[0]!.docString = 'input doc';
    const back = roundTrip(m);
    expect({ ...back, graph: undefined }).toEqual({ ...m, graph: undefined });
    expect(describeGraph(back.graph)).toEqual(describeGraph(m.graph));
  });

  it('round-trips the INT64_MAX sentinel of Slice ends exactly', () => {
    const g = new Graph('slice');
    const x = g.addInput('x', 'float32', [4]);
    const ends = g.addInitializer('ends', Tensor.fromTyped('int64', [1], BigInt64Array.from([0x7fffffffffffffffn])));
    const node = g.addNode('Slice', [x, g.addInitializer('starts', Tensor.fromArray('int64', [1], [1])), ends], {
      attributes: { ends: { type: 'ints', value: [Number(0x7fffffffffffffffn)] }, starts: { type: 'int', value: Number(-0x8000000000000000n) } },
    });
    g.outputs.push(node.output(0)!);
    const bytes = encodeModel(createModel(g, 9));
    const attrs = fromBinary(ModelProtoSchema, bytes).graph!.node[0]!.attribute;
    expect(attrs.find((a) => a.name === 'ends')!.ints).toEqual([9223372036854775807n]);
    expect(attrs.find((a) => a.name === 'starts')!.i).toBe(-9223372036854775808n);
    const back = decodeModel(bytes);
    expect(back.graph.nodes[0]!.attrInts('ends')).toEqual([9223372036854775807]);
    expect(Buffer.from(encodeModel(back)).equals(Buffer.from(bytes))).toBe(true);
    expect(back.graph.initializers[0]!.constant!.view()).toEqual(BigInt64Array.from([0x7fffffffffffffffn]));
  });

  it('keeps unchanged int64 attributes exact beyond 2^53 and rejects non-integers', () => {
    const m = mlpModel();
    m.graph.nodes[0]!.attributes.set('big', { type: 'ints', value: [2 ** 53 + 2] });
    const p = fromBinary(ModelProtoSchema, encodeModel(m));
    p.graph!.node[0]!.attribute.find((a) => a.name === 'big')!.ints = [9007199254740993n]; // 2^53 + 1
    const exact = encodeModel(decodeModel(toBinary(ModelProtoSchema, p)));
    expect(fromBinary(ModelProtoSchema, exact).graph!.node[0]!.attribute.find((a) => a.name === 'big')!.ints).toEqual([9007199254740993n]);
    m.graph.nodes[0]!.attributes.set('bad', { type: 'int', value: 1.5 });
    expect(() => encodeModel(m)).toThrow("node 'gemm' (Gemm), attribute 'bad': 1.5 is not an integer");
  });

  it('keeps attributes in file order and sorts added ones by name', () => {
    const p = fromBinary(ModelProtoSchema, encodeModel(mlpModel()));
    p.graph!.node[0]!.attribute.reverse();
    const m = decodeModel(toBinary(ModelProtoSchema, p));
    const names = (mm: Model) => fromBinary(ModelProtoSchema, encodeModel(mm)).graph!.node[0]!.attribute.map((a) => a.name);
    expect(names(m)).toEqual(['transB', 'alpha']);
    m.graph.nodes[0]!.attributes.set('zeta', { type: 'int', value: 1 });
    m.graph.nodes[0]!.attributes.set('beta', { type: 'float', value: 1 });
    expect(names(m)).toEqual(['transB', 'alpha', 'beta', 'zeta']);
  });

  it('round-trips graph inputs that are also initializers (IR < 4 exporters)', () => {
    const m = mlpModel();
    m.irVersion = 3;
    m.opsets.set('', 9);
    const w = m.graph.value('W')!;
    m.graph.inputs.push(w);
    const back = roundTrip(m);
    expect(back.graph.inputs.map((v) => v.name)).toEqual(['x', 'W']);
    expect(back.graph.value('W')!.constant).toBeDefined();
    expect(back.graph.initializers.map((v) => v.name)).toEqual(['W', 'B']);
    expect(describeGraph(back.graph)).toEqual(describeGraph(m.graph));
  });

  it('re-emits model-local functions, training_info, configuration and unknown fields unchanged', async () => {
    const p = fromBinary(ModelProtoSchema, encodeModel(mlpModel()));
    p.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: 'local', version: 1n }));
    p.functions = [create(FunctionProtoSchema, {
      name: 'Twice', domain: 'local', input: ['a'], output: ['b'], opsetImport: [p.opsetImport[0]!],
      node: [create(NodeProtoSchema, { opType: 'Add', input: ['a', 'a'], output: ['b'] })],
    })];
    p.graph!.node.push(create(NodeProtoSchema, { opType: 'Twice', domain: 'local', input: ['y'], output: ['z'], name: 'twice' }));
    p.graph!.output[0]!.name = 'z';
    p.trainingInfo = [create(TrainingInfoProtoSchema, { initializationBinding: [create(StringStringEntryProtoSchema, { key: 'W', value: 'W' })] })];
    p.$unknown = [{ no: 99, wireType: 0, data: Uint8Array.from([0x96, 0x01]) }, { no: 100, wireType: 2, data: Uint8Array.from([3, 1, 2, 3]) }];
    p.graph!.quantizationAnnotation = [create(TensorAnnotationSchema, { tensorName: 'W', quantParameterTensorNames: [create(StringStringEntryProtoSchema, { key: 'SCALE_TENSOR', value: 's' })] })];
    p.graph!.node[0]!.metadataProps = [create(StringStringEntryProtoSchema, { key: 'k', value: 'v' })];
    p.graph!.$unknown = [{ no: 77, wireType: 2, data: Uint8Array.from([1, 9]) }];
    const bytes = toBinary(ModelProtoSchema, p);
    const m = decodeModel(bytes);
    expect(m.preserved.map((f) => [f.field, f.wireType])).toEqual([[20, 2], [25, 2], [99, 0], [100, 2]]);
    expect(fromBinary(FunctionProtoSchema, m.preserved[1]!.bytes).name).toBe('Twice');
    const again = encodeModel(m);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    const out = await runOrt(again, { x: { dims: [1, 4], data: floats(4, 9) } });
    const ref = await runOrt(encodeModel(mlpModel()), { x: { dims: [1, 4], data: floats(4, 9) } });
    expect(new Float32Array(out['z']!.buffer)).toEqual(new Float32Array(ref['y']!.buffer).map((v) => 2 * v));
  });

  it('keeps value_info types, order, and entries for names it does not define', () => {
    const p = fromBinary(ModelProtoSchema, encodeModel(mlpModel()));
    const relu = p.graph!.node[1]!;
    p.graph!.valueInfo = [
      create(ValueInfoProtoSchema, { name: 'ghost' }),
      create(ValueInfoProtoSchema, { name: relu.input[0]!, type: p.graph!.input[0]!.type, docString: 'gemm out' }),
    ];
    const bytes = toBinary(ModelProtoSchema, p);
    const m = decodeModel(bytes);
    expect(m.graph.value(relu.input[0]!)!.shape).toEqual(['N', 4]);
    expect(Buffer.from(encodeModel(m)).equals(Buffer.from(bytes))).toBe(true);
    m.graph.value(relu.input[0]!)!.shape = ['N', 3];
    const vi = fromBinary(ModelProtoSchema, encodeModel(m)).graph!.valueInfo;
    expect(vi.map((v) => v.name)).toEqual(['ghost', relu.input[0]]);
    const dims = vi[1]!.type!.value.case === 'tensorType' ? vi[1]!.type!.value.value.shape!.dim.map((d) => d.value.value) : [];
    expect(dims).toEqual(['N', 3n]);
  });
});

describe('decodeModel errors', () => {
  const good = encodeModel(mlpModel());

  it('reports truncated input with the byte where decoding failed', () => {
    const e = errorOf(() => decodeModel(good.subarray(0, 200), { source: 'model.onnx' }));
    expect(e.code).toBe('ONNX_MALFORMED');
    expect(e.message).toMatch(/^model\.onnx: not a valid ONNX model \(protobuf decode failed at byte \d+: .+\)\.$/);
    expect(e.message).not.toContain('\n');
  });

  it('reports random bytes as malformed', () => {
    const e = errorOf(() => decodeModel(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), { source: 'r.onnx' }));
    expect(e.code).toBe('ONNX_MALFORMED');
    expect(e.message).toBe('r.onnx: not a valid ONNX model (protobuf decode failed at byte 0: varint longer than 10 bytes).');
    const e2 = errorOf(() => decodeModel(Uint8Array.from([0x3a, 0x10, 1, 2, 3]), { source: 'r.onnx' }));
    expect(e2.message).toBe('r.onnx: not a valid ONNX model (protobuf decode failed at byte 0: field 7 claims 16 bytes but only 3 remain).');
  });

  it('says when a valid protobuf is not a model', () => {
    expect(errorOf(() => decodeModel(new Uint8Array(0), { source: 'e.onnx' })).message)
      .toBe('e.onnx: not an ONNX model: ir_version is missing, opset_import is empty, it has no graph.');
    const p = fromBinary(ModelProtoSchema, good);
    p.graph = create(GraphProtoSchema, { name: 'empty' });
    const e = errorOf(() => decodeModel(toBinary(ModelProtoSchema, p), { source: 'e.onnx' }));
    expect([e.code, e.message]).toEqual(['ONNX_NOT_A_MODEL', 'e.onnx: not an ONNX model: its graph is empty.']);
    const noIr: ModelProto = fromBinary(ModelProtoSchema, good);
    noIr.irVersion = 0n;
    expect(errorOf(() => decodeModel(toBinary(ModelProtoSchema, noIr))).code).toBe('ONNX_NOT_A_MODEL');
  });

  it('collects duplicate definitions into one ONNX_INVALID error', () => {
    const p = fromBinary(ModelProtoSchema, good);
    p.graph!.node[1]!.output = [p.graph!.node[0]!.output[0]!];
    p.graph!.initializer.push(p.graph!.initializer[0]!);
    const e = errorOf(() => decodeModel(toBinary(ModelProtoSchema, p), { source: 'd.onnx' }));
    expect(e.code).toBe('ONNX_INVALID');
    expect(e.message).toContain("initializer 'W' is defined twice");
    expect(e.message).toContain("value 'gemm_out' is defined twice (again as an output of node 'relu')");
  });

  it('says when the file is missing', async () => {
    await expect(loadModel('/nonexistent/model.onnx')).rejects.toMatchObject({ code: 'ONNX_FILE_MISSING', message: '/nonexistent/model.onnx: no such file.' });
  });
});
