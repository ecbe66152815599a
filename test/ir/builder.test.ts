import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import {
  GraphBuilder, attr, fans, filledTensor, kaimingUniform, normalTensor, toAttribute, torchDefaultInit, uniformTensor,
  xavierNormal, xavierUniform,
} from '../../src/ir/builder.js';
import { Graph } from '../../src/ir/graph.js';
import { verify } from '../../src/ir/passes.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Rng } from '../../src/util/rng.js';

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

describe('GraphBuilder naming', () => {
  it('runs the class example: scoped nodes, outputs named after nodes, a valid opset-17 model', () => {
    const b = new GraphBuilder('mlp');
    const x = b.input('input', 'float32', ['N', 4]);
    const y = b.scope('fc1', () => {
      const w = b.constF32('weight', [3, 4], new Float32Array(12).fill(0.1));
      return b.op('Gemm', [x, w], { transB: 1, alpha: 1 });
    });
    b.output(b.op('Relu', [y]), { name: 'logits', dtype: 'float32', shape: ['N', 3] });
    const model = b.model();
    expect(model.opsets.get('')).toBe(17);
    expect(model.graph.nodes.map((n) => n.name)).toEqual(['fc1/Gemm', 'Relu']);
    expect(y.name).toBe('fc1/Gemm');
    expect(model.graph.initializers.map((v) => v.name)).toEqual(['fc1/weight']);
    expect(model.graph.outputs.map((v) => [v.name, v.dtype, v.shape])).toEqual([['logits', 'float32', ['N', 3]]]);
    expect(verify(model)).toEqual([]);
  });

  it('nests scopes and makes repeated hints unique with _1, _2 per hint', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    const names = b.scope('block1', () => b.scope('attn', () => [b.op('Relu', [x]), b.op('Relu', [x]), b.op('Relu', [x], {}, { name: 'act' }), b.op('Relu', [x])]));
    expect(names.map((v) => v.name)).toEqual(['block1/attn/Relu', 'block1/attn/Relu_1', 'block1/attn/act', 'block1/attn/Relu_2']);
    expect(b.prefix).toBe('');
    expect(b.scope('s', () => b.prefix)).toBe('s/');
  });

  it('pops the scope when the callback throws', () => {
    const b = new GraphBuilder('g');
    expect(() => b.scope('bad', () => { throw new Error('boom'); })).toThrow('boom');
    expect(b.prefix).toBe('');
    expect(() => b.scope('a/b', () => 0)).toThrow(RangeError);
  });

  it('names multi-output nodes <node>_out<i> or by hint, and records dtype and shape', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['N', 8]);
    const [y, mean, inv] = b.opN('LayerNormalization', [x, b.constF32('g', [8], new Float32Array(8).fill(1))], 3, { axis: -1, epsilon: 1e-5 }, { name: 'ln', dtype: 'float32' });
    expect([y?.name, mean?.name, inv?.name]).toEqual(['ln_out0', 'ln_out1', 'ln_out2']);
    expect(y?.dtype).toBe('float32');
    const [a, m] = b.scope('pool', () => b.opN('MaxPool', [x], ['values', 'indices'], { kernel_shape: [2] }));
    expect([a?.name, m?.name]).toEqual(['pool/values', 'pool/indices']);
    const s = b.op('Relu', [x], {}, { dtype: 'float32', shape: ['N', 8] });
    expect(s.shape).toEqual(['N', 8]);
  });

  it('keeps names unique against values and nodes already in the graph', () => {
    const g = new Graph('g');
    const x = g.addInput('x', 'float32', [1]);
    g.addNode('Relu', [x], { name: 'Relu' });
    const b = new GraphBuilder(g);
    const y = b.op('Relu', [x]);
    expect(y.name).toBe('Relu_1');
    expect(b.initializer('x', Tensor.scalar('float32', 1)).name).toBe('x_1');
  });

  it('rejects inputs from another graph and taken input names, naming them', () => {
    const b = new GraphBuilder('g');
    const other = new GraphBuilder('h').input('z', 'float32', [1]);
    expect(() => b.op('Relu', [other])).toThrow(/input 'z' is not a value of graph 'g'/);
    b.input('x', 'float32', [1]);
    expect(() => b.input('x', 'float32', [1])).toThrow(SecateursError);
    expect(() => b.opN('Split', [], 0)).toThrow(RangeError);
  });

  it('renames a graph output exactly and refuses a taken name', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1]);
    const y = b.scope('s', () => b.op('Relu', [x]));
    expect(b.output(y, { name: 'out' }).name).toBe('out');
    expect(() => b.output(b.op('Neg', [x]), { name: 'x' })).toThrow(/already has a value named 'x'/);
  });

  it('keeps omitted optional inputs and connects edges both ways', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [4]);
    const n = b.node('Clip', [x, null, b.scalar(6)]);
    expect(n.inputs.map((v) => v?.name ?? null)).toEqual(['x', null, 'const_float32_6']);
    expect(x.consumers).toEqual([n]);
    expect(n.output(0)?.producer).toBe(n);
  });
});

describe('GraphBuilder constants', () => {
  it('makes float32 and int64 initializers and shares scalars per dtype and value', () => {
    const b = new GraphBuilder('g');
    const w = b.scope('l', () => b.constF32('w', [2, 2], [1, 2, 3, 4]));
    expect(w.name).toBe('l/w');
    expect(Array.from(w.constant!.toFloat32())).toEqual([1, 2, 3, 4]);
    const s = b.constI64('shape', [0, 0, -1]);
    expect(s.constant?.dtype).toBe('int64');
    expect(s.constant?.dims).toEqual([3]);
    expect(s.constant?.toNumbers()).toEqual([0, 0, -1]);
    const half = b.scope('a', () => b.scalar(0.5));
    expect(b.scope('b', () => b.scalar(0.5))).toBe(half);
    expect(half.name).toBe('const_float32_0.5');
    expect(half.constant?.dims).toEqual([]);
    expect(b.scalar(0, 'int64')).not.toBe(b.scalar(0));
    const again = new GraphBuilder(b.graph);
    expect(again.scalar(0.5)).toBe(half);
    b.graph.addInitializer('const_float32_2', Tensor.scalar('float32', 3));
    expect(again.scalar(2).name).not.toBe('const_float32_2');
  });
});

describe('attribute typing', () => {
  it('runs the toAttribute example', () => {
    expect(toAttribute('Gemm', 'alpha', 1)).toEqual({ type: 'float', value: 1 });
    expect(toAttribute('Conv', 'pads', [1, 1])).toEqual({ type: 'ints', value: [1, 1] });
  });

  it('infers int, float, string, lists, tensor, graph and bool', () => {
    const t = Tensor.scalar('float32', 0);
    const g = new Graph('body');
    expect(toAttribute('Softmax', 'axis', -1)).toEqual({ type: 'int', value: -1 });
    expect(toAttribute('Foo', 'scale', 0.5)).toEqual({ type: 'float', value: 0.5 });
    expect(toAttribute('Foo', 'xs', [1, 2.5])).toEqual({ type: 'floats', value: [1, 2.5] });
    expect(toAttribute('Gelu', 'approximate', 'tanh')).toEqual({ type: 'string', value: 'tanh' });
    expect(toAttribute('Foo', 'names', ['a', 'b'])).toEqual({ type: 'strings', value: ['a', 'b'] });
    expect(toAttribute('ConstantOfShape', 'value', t)).toEqual({ type: 'tensor', value: t });
    expect(toAttribute('Foo', 'ts', [t])).toEqual({ type: 'tensors', value: [t] });
    expect(toAttribute('If', 'then_branch', g)).toEqual({ type: 'graph', value: g });
    expect(toAttribute('Dropout', 'training_mode', true)).toEqual({ type: 'int', value: 1 });
    expect(toAttribute('Squeeze', 'axes', [])).toEqual({ type: 'ints', value: [] });
  });

  it('types integral values of known float attributes as floats, per op and domain', () => {
    expect(toAttribute('BatchNormalization', 'epsilon', 0)).toEqual({ type: 'float', value: 0 });
    expect(toAttribute('LeakyRelu', 'alpha', 1)).toEqual({ type: 'float', value: 1 });
    expect(toAttribute('Constant', 'value_floats', [1, 2])).toEqual({ type: 'floats', value: [1, 2] });
    expect(toAttribute('FusedMatMul', 'alpha', 1, 'com.microsoft')).toEqual({ type: 'float', value: 1 });
    expect(toAttribute('FusedMatMul', 'alpha', 1)).toEqual({ type: 'int', value: 1 });
    expect(toAttribute('Gemm', 'alpha', 2, 'ai.onnx')).toEqual({ type: 'float', value: 2 });
  });

  it('takes explicit attr helpers as they are and checks ints', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1]);
    const n = b.node('MyScale', [x], { factor: attr.float(2), count: attr.int(3), skip: undefined }, { domain: 'my.domain' });
    expect([...n.attributes.entries()]).toEqual([['count', { type: 'int', value: 3 }], ['factor', { type: 'float', value: 2 }]]);
    expect(attr.floats([1])).toEqual({ type: 'floats', value: [1] });
    expect(attr.ints([1, 2]).type).toBe('ints');
    expect(attr.strings(['a']).type).toBe('strings');
    expect(attr.string('a').type).toBe('string');
    expect(() => attr.int(1.5)).toThrow(RangeError);
    expect(() => attr.ints([1, 0.5])).toThrow(/integer, got 0.5/);
  });

  it('stores attributes sorted by name and rejects mixed lists', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 1, 4, 4]);
    const n = b.node('Conv', [x], { strides: [1, 1], pads: [0, 0, 0, 0], group: 1, dilations: [1, 1] });
    expect([...n.attributes.keys()]).toEqual(['dilations', 'group', 'pads', 'strides']);
    expect(() => toAttribute('Foo', 'mixed', [1, 'a'] as unknown as number[])).toThrow(/only numbers, only strings or only tensors/);
  });
});

describe('parameter initialization', () => {
  it('computes PyTorch fans (fans example)', () => {
    expect(fans([20, 1, 5, 5])).toEqual({ fanIn: 25, fanOut: 500 });
    expect(fans([64, 128], 'io')).toEqual({ fanIn: 64, fanOut: 128 });
    expect(() => fans([3])).toThrow(RangeError);
  });

  it('draws kaiming-uniform(a=√5) within ±1/√fanIn, deterministically per seed', () => {
    const w = kaimingUniform(new Rng(0), [300, 784], { a: Math.sqrt(5) }).toFloat32();
    const bound = 1 / Math.sqrt(784);
    expect(w.length).toBe(300 * 784);
    expect(maxAbs(w)).toBeLessThanOrEqual(bound);
    expect(maxAbs(w)).toBeGreaterThan(0.99 * bound);
    expect(w.some((v) => v < 0) && w.some((v) => v > 0)).toBe(true);
    const again = kaimingUniform(new Rng(0), [300, 784], { a: Math.sqrt(5) }).toFloat32();
    expect(Buffer.compare(Buffer.from(again.buffer), Buffer.from(w.buffer))).toBe(0);
    const relu = kaimingUniform(new Rng(0), [10, 50], { mode: 'fan_out' }).toFloat32();
    expect(maxAbs(relu)).toBeLessThanOrEqual(Math.sqrt(6 / 10));
  });

  it('torchDefaultInit gives a [out] bias within ±1/√fanIn (example)', () => {
    const { weight, bias } = torchDefaultInit(new Rng(0), [10, 100]);
    expect(weight.dims).toEqual([10, 100]);
    expect(bias.dims).toEqual([10]);
    expect(maxAbs(bias.toFloat32())).toBeLessThanOrEqual(0.1);
    expect(torchDefaultInit(new Rng(0), [100, 10], 'io').bias.dims).toEqual([10]);
  });

  it('Xavier uniform/normal and normal tensors have the expected spread', () => {
    const u = xavierUniform(new Rng(1), [200, 300]).toFloat32();
    expect(maxAbs(u)).toBeLessThanOrEqual(Math.sqrt(6 / 500));
    const n = xavierNormal(new Rng(1), [200, 300], { gain: 2 }).toFloat32();
    const std = Math.sqrt(n.reduce((a, v) => a + v * v, 0) / n.length);
    expect(std).toBeCloseTo(2 * Math.sqrt(2 / 500), 2);
    const z = normalTensor(new Rng(2), [10000], 0.02, 1).toFloat32();
    expect(z.reduce((a, v) => a + v, 0) / z.length).toBeCloseTo(1, 2);
    expect(uniformTensor(new Rng(3), [4], 1).dims).toEqual([4]);
    expect(Array.from(filledTensor([3], 1).toFloat32())).toEqual([1, 1, 1]);
  });
});
