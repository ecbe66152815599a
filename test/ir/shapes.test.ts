import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { findShapeRule, inferShapes, SHAPE_RULES } from '../../src/ir/shapes/index.js';
import * as reshapeRules from '../../src/ir/shapes/rules/reshape.js';
import { divDims, fromMonomial, mulDims, toMonomial } from '../../src/ir/shapes/symbolic.js';
import { Tensor } from '../../src/ir/tensor.js';
import { buildZooModel } from '../../src/zoo/index.js';

/**
 * The attention head split PyTorch exports: the target of Reshape is computed from Shape → Gather → Unsqueeze →
 * Concat at run time.
 */
function headSplit(batch: string | number) {
  const b = new GraphBuilder('attn');
  const x = b.input('x', 'float32', [batch, 16, 64]);
  const shape = b.op('Shape', [x]);
  const n = b.op('Gather', [shape, b.initializer('zero', Tensor.scalar('int64', 0))], { axis: 0 });
  const seq = b.op('Gather', [shape, b.initializer('one', Tensor.scalar('int64', 1))], { axis: 0 });
  const heads = b.op('Mul', [n, b.initializer('four', Tensor.scalar('int64', 4))]);
  const axes = b.constI64('axes0', [0]);
  const dims = [heads, seq, b.op('Constant', [], { value_ints: [16] })].map((d, i) => (i < 2 ? b.op('Unsqueeze', [d, axes]) : d));
  const target = b.op('Concat', dims, { axis: 0 });
  const y = b.op('Reshape', [x, target]);
  b.output(y);
  return { model: b.model(14), y, target };
}

describe('inferShapes', () => {
  it('fills a zoo model with the batch fixed (the TSDoc example)', () => {
    const model = buildZooModel('lenet-300-100');
    const { unknown } = inferShapes(model, { fixedDims: { N: 1 } });
    expect(unknown).toEqual([]);
    expect(model.graph.requireValue('logits').shape).toEqual([1, 10]);
  });

  it('folds Shape → Gather → Unsqueeze → Concat → Reshape once the batch is fixed', () => {
    const { model, y } = headSplit('N');
    const res = inferShapes(model, { fixedDims: { N: 2 } });
    expect(y.shape).toEqual([8, 16, 16]);
    expect(res.unknown).toEqual([]);
    expect(res.inferred).toBe(model.graph.nodes.length);
    expect(model.graph.inputs[0]!.shape).toEqual([2, 16, 64]);
  });

  it('keeps symbols through shape tensors, as monomials under * and /', () => {
    const { model, y, target } = headSplit('N');
    const res = inferShapes(model);
    expect(target.shape).toEqual([3]);
    expect(y.shape).toEqual(['4*N', 16, 16]);
    expect(res.unknown).toEqual([]);
  });

  it('symbolic sums stay unknown', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', ['N', 4]);
    const y = b.op('Concat', [x, x], { axis: 0 });
    const n = b.op('Add', [b.op('Shape', [x]), b.constI64('one', [1, 0])]);
    const z = b.op('Reshape', [x, n]);
    b.output(y);
    b.output(z);
    const res = inferShapes(b.model(17));
    expect(y.shape).toEqual([null, 4]);
    expect(z.shape).toEqual([null, 4]);
    expect(res.unknown).toEqual([y.name, z.name]);
  });

  it('passes a symbolic dim through a shape tensor unchanged', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', ['N', 3, 4]);
    const s = b.op('Slice', [b.op('Shape', [x]), b.constI64('s', [0]), b.constI64('e', [1])]);
    const t = b.op('Concat', [s, b.constI64('rest', [-1])], { axis: 0 });
    const y = b.op('Reshape', [x, t]);
    b.output(y);
    inferShapes(b.model(13));
    expect(y.shape).toEqual(['N', 12]);
  });

  it('keeps the axes a Slice with run-time bounds does not touch (position ids sliced by sequence length)', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', ['N', 'S', 64]);
    const len = b.op('Gather', [b.op('Shape', [x]), b.initializer('one', Tensor.scalar('int64', 1))], { axis: 0 });
    const end = b.op('Unsqueeze', [len, b.constI64('ax', [0])]);
    const y = b.op('Slice', [x, b.constI64('s', [0]), b.op('Mul', [end, b.constI64('two', [2])]), b.constI64('axes', [1])]);
    const z = b.op('Slice', [x, b.constI64('s2', [0]), end]);
    b.output(y);
    b.output(z);
    inferShapes(b.model(13));
    expect(y.shape).toEqual(['N', null, 64]);
    expect(z.shape).toEqual([null, 'S', 64]);
  });

  it('lists outputs of ops without a rule and never guesses downstream', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', ['N', 4]);
    const u = b.op('MyOp', [x], {}, { domain: 'my.domain' });
    const r = b.op('Relu', [u]);
    b.output(r);
    const model = b.model(17);
    model.opsets.set('my.domain', 1);
    const res = inferShapes(model);
    expect(res.unknown).toEqual([u.name, r.name]);
    expect(r.shape).toBeUndefined();
    expect(res.inferred).toBe(0);
  });

  it('keeps annotations where no rule applies, merges them where one does, reports conflicts', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', ['N', 4]);
    const u = b.op('MyOp', [x], {}, { domain: 'my.domain', dtype: 'float32', shape: ['N', 4] });
    const r = b.op('Relu', [u], {}, { shape: ['batch', 4] });
    const bad = b.op('Neg', [r], {}, { shape: [3, 5] });
    b.output(bad);
    const model = b.model(17);
    model.opsets.set('my.domain', 1);
    const res = inferShapes(model);
    expect(u.shape).toEqual(['N', 4]);
    expect(r.shape).toEqual(['N', 4]);
    expect(bad.shape).toEqual(['N', 4]);
    expect(res.conflicts).toEqual([`'Neg' (output of 'Neg', Neg): declared [3, 5], inferred [N, 4]`]);
    expect(res.unknown).toEqual([]);
  });

  it('reset forgets annotations, so only rules speak', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', [2]);
    const u = b.op('MyOp', [x], {}, { domain: 'my.domain', dtype: 'float32', shape: [2] });
    b.output(u);
    const model = b.model(17);
    model.opsets.set('my.domain', 1);
    expect(inferShapes(model, { reset: true }).unknown).toEqual([u.name]);
    expect(u.shape).toBeUndefined();
  });

  it('reads initializers and Constant nodes as Reshape targets', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', ['N', 1, 8, 8]);
    const y1 = b.op('Reshape', [x, b.constI64('shape', [-1, 64])]);
    const y2 = b.op('Reshape', [x, b.op('Constant', [], { value: Tensor.fromArray('int64', [2], [-1, 16]) })]);
    b.output(y1);
    b.output(y2);
    inferShapes(b.model(9), { fixedDims: { N: 3 } });
    expect(y1.shape).toEqual([3, 64]);
    expect(y2.shape).toEqual([12, 16]);
  });

  it('rejects negative fixed dims', () => {
    const { model } = headSplit('N');
    expect(() => inferShapes(model, { fixedDims: { N: -1 } })).toThrow(RangeError);
  });
});

describe('shape registry', () => {
  it('picks the row for the opset: attribute forms before the switch, input forms after', () => {
    expect(findShapeRule('', 'Squeeze', 11)).toBe(reshapeRules.squeezeAttr);
    expect(findShapeRule('', 'Squeeze', 13)).toBe(reshapeRules.squeeze);
    expect(findShapeRule('', 'Reshape', 4)).toBe(reshapeRules.reshapeAttr);
    expect(findShapeRule('ai.onnx', 'Reshape', 21)).toBe(reshapeRules.reshape);
    expect(findShapeRule('', 'Reshape', undefined)).toBe(reshapeRules.reshape);
    expect(findShapeRule('', 'NoSuchOp', 17)).toBeUndefined();
    expect(findShapeRule('com.microsoft', 'FusedMatMul', 1)).toBeDefined();
  });

  it('has no duplicate (domain, op, since) rows', () => {
    const keys = SHAPE_RULES.map((e) => `${e.domain}:${e.opType}:${e.since}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('symbolic dims', () => {
  it('multiply and divide as canonical monomials', () => {
    expect(mulDims('N', 4)).toBe('4*N');
    expect(mulDims(4, mulDims('T', 'N'))).toBe('4*N*T');
    expect(mulDims('N', 0)).toBe(0);
    expect(mulDims('N', null)).toBeNull();
    expect(divDims('16*N', 4)).toBe('4*N');
    expect(divDims('4*N*T', '2*N')).toBe('2*T');
    expect(divDims('4*N', 'N')).toBe(4);
    expect(divDims('N', 2)).toBeNull();
    expect(divDims('N', 'T')).toBeNull();
  });

  it('read names with odd stars as plain names', () => {
    expect(toMonomial('a**b')).toEqual({ coeff: 1, syms: ['a**b'] });
    expect(fromMonomial({ coeff: 3, syms: ['T', 'N'] })).toBe('3*N*T');
  });
});
