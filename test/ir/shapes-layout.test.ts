import { describe, expect, it } from 'vitest';
import { GraphBuilder, type AttrMap } from '../../src/ir/builder.js';
import type { DataType } from '../../src/ir/dtype.js';
import type { Dim } from '../../src/ir/graph.js';
import { inferShapes } from '../../src/ir/shapes/index.js';
import { Tensor } from '../../src/ir/tensor.js';

/** An input slot: a graph input of this shape (float32 unless given), a constant, or omitted. */
type In = { readonly shape: Dim[]; readonly dtype?: DataType } | Tensor | null;

function infer(op: string, inputs: readonly In[], attrs: AttrMap = {}, o: { opset?: number; outputs?: number } = {}) {
  const b = new GraphBuilder('t');
  const vals = inputs.map((x, i) => (x === null ? null : x instanceof Tensor ? b.initializer(`c${i}`, x) : b.input(`x${i}`, x.dtype ?? 'float32', x.shape)));
  const outs = b.opN(op, vals, o.outputs ?? 1, attrs);
  outs.forEach((v) => b.output(v));
  const res = inferShapes(b.model(o.opset ?? 17));
  return { shapes: outs.map((v) => v.shape), dtypes: outs.map((v) => v.dtype), unknown: res.unknown };
}
const shapeOf = (...a: Parameters<typeof infer>): Dim[] | undefined => infer(...a).shapes[0];
const i64 = (xs: number[]): Tensor => Tensor.fromArray('int64', [xs.length], xs);
const INT64_MAX = Tensor.fromTyped('int64', [1], BigInt64Array.of(9223372036854775807n));

describe('Reshape / Flatten / Transpose', () => {
  it('Reshape copies 0 dims and solves -1', () => {
    expect(shapeOf('Reshape', [{ shape: [2, 3, 4] }, i64([0, -1])])).toEqual([2, 12]);
    expect(shapeOf('Reshape', [{ shape: ['N', 16, 64] }, i64([0, 16, 4, -1])])).toEqual(['N', 16, 4, 16]);
    expect(shapeOf('Reshape', [{ shape: ['N', 1, 8, 8] }, i64([-1, 64])])).toEqual(['N', 64]);
    expect(shapeOf('Reshape', [{ shape: ['N', 3] }, i64([-1])])).toEqual(['3*N']);
    expect(shapeOf('Reshape', [{ shape: ['N', 'T', 6] }, i64([-1, 4])])).toEqual([null, 4]);
  });

  it('allowzero=1 makes 0 a real zero-size dim', () => {
    expect(shapeOf('Reshape', [{ shape: [0, 3] }, i64([3, 0])], { allowzero: 1 }, { opset: 14 })).toEqual([3, 0]);
  });

  it('rejects impossible targets', () => {
    expect(() => infer('Reshape', [{ shape: [2, 3] }, i64([4, -1])])).toThrow(/cannot reshape \[2, 3\]/);
    expect(() => infer('Reshape', [{ shape: [2, 3] }, i64([-1, -1])])).toThrow(/more than one -1/);
  });

  it('an unknown target keeps only the rank', () => {
    expect(infer('Reshape', [{ shape: [2, 3] }, { shape: [3], dtype: 'int64' }])).toMatchObject({ shapes: [[null, null, null]], unknown: ['Reshape'] });
  });

  it('opset 4 reads the `shape` attribute', () => {
    expect(shapeOf('Reshape', [{ shape: [2, 3, 4] }], { shape: [6, -1] }, { opset: 4 })).toEqual([6, 4]);
  });

  it('Flatten at axis 0, 1 (default), -1', () => {
    expect(shapeOf('Flatten', [{ shape: [2, 3, 4] }], { axis: 0 })).toEqual([1, 24]);
    expect(shapeOf('Flatten', [{ shape: ['N', 3, 4] }])).toEqual(['N', 12]);
    expect(shapeOf('Flatten', [{ shape: ['N', 3, 4] }], { axis: -1 })).toEqual(['3*N', 4]);
    expect(shapeOf('Flatten', [{ shape: ['N', 'H', 4] }], { axis: 2 })).toEqual(['H*N', 4]);
  });

  it('Transpose with perm and reversed by default', () => {
    expect(shapeOf('Transpose', [{ shape: ['N', 16, 64] }], { perm: [1, 0, 2] })).toEqual([16, 'N', 64]);
    expect(shapeOf('Transpose', [{ shape: [2, 3, 4] }])).toEqual([4, 3, 2]);
    expect(() => infer('Transpose', [{ shape: [2, 3] }], { perm: [0, 0] })).toThrow(/not a permutation/);
  });
});

describe('Squeeze / Unsqueeze attribute and input forms', () => {
  it('opset 11 reads `axes` attributes', () => {
    expect(shapeOf('Squeeze', [{ shape: [1, 3, 1, 4] }], { axes: [0, -2] }, { opset: 11 })).toEqual([3, 4]);
    expect(shapeOf('Unsqueeze', [{ shape: [3, 4] }], { axes: [0, 3] }, { opset: 11 })).toEqual([1, 3, 4, 1]);
  });

  it('opset 13 reads axes from input 1', () => {
    expect(shapeOf('Squeeze', [{ shape: [1, 3, 1, 4] }, i64([2])], {}, { opset: 13 })).toEqual([1, 3, 4]);
    expect(shapeOf('Unsqueeze', [{ shape: [3, 4] }, i64([-1, 0])], {}, { opset: 13 })).toEqual([1, 3, 4, 1]);
  });

  it('Squeeze without axes drops every 1 (needs numeric dims)', () => {
    expect(shapeOf('Squeeze', [{ shape: [1, 3, 1] }], {}, { opset: 13 })).toEqual([3]);
    expect(shapeOf('Squeeze', [{ shape: ['N', 3] }], {}, { opset: 13 })).toBeUndefined();
  });

  it('refuses to squeeze a dim that is not 1', () => {
    expect(() => infer('Squeeze', [{ shape: [2, 3] }, i64([0])], {}, { opset: 13 })).toThrow(/cannot squeeze axis 0 of size 2/);
  });
});

describe('Slice / Split / Concat / Gather', () => {
  it('opset 9 Slice reads attributes', () => {
    expect(shapeOf('Slice', [{ shape: [10, 20] }], { starts: [2, -5], ends: [5, 1000], axes: [0, 1] }, { opset: 9 })).toEqual([3, 5]);
  });

  it('opset 13 Slice reads inputs: negative starts, INT64_MAX ends, negative steps', () => {
    expect(shapeOf('Slice', [{ shape: [10, 20] }, i64([-3]), INT64_MAX, i64([1])], {})).toEqual([10, 3]);
    expect(shapeOf('Slice', [{ shape: [10, 20] }, i64([1, 0]), i64([8, 20]), i64([0, 1]), i64([3, 2])])).toEqual([3, 10]);
    expect(shapeOf('Slice', [{ shape: [10] }, i64([-1]), i64([-1000]), i64([0]), i64([-1])])).toEqual([10]);
    expect(shapeOf('Slice', [{ shape: [10] }, i64([8]), i64([2]), i64([0]), i64([-2])])).toEqual([3]);
  });

  it('a symbolic axis survives only a full slice', () => {
    const ends = Tensor.fromTyped('int64', [2], BigInt64Array.of(9223372036854775807n, 6n));
    expect(shapeOf('Slice', [{ shape: ['N', 8] }, i64([0, 2]), ends, i64([0, 1])])).toEqual(['N', 4]);
    expect(shapeOf('Slice', [{ shape: ['N'] }, i64([1]), i64([5])])).toEqual([null]);
  });

  it('Split: attribute (opset 11), input (opset 13), num_outputs (opset 18), equal parts', () => {
    expect(infer('Split', [{ shape: [2, 10] }], { axis: 1, split: [3, 7] }, { opset: 11, outputs: 2 }).shapes).toEqual([[2, 3], [2, 7]]);
    expect(infer('Split', [{ shape: [2, 10] }, i64([4, 6])], { axis: -1 }, { opset: 13, outputs: 2 }).shapes).toEqual([[2, 4], [2, 6]]);
    expect(infer('Split', [{ shape: [10] }], { num_outputs: 3 }, { opset: 18, outputs: 3 }).shapes).toEqual([[4], [4], [2]]);
    expect(infer('Split', [{ shape: [6, 'N'] }], {}, { opset: 13, outputs: 3 }).shapes).toEqual([[2, 'N'], [2, 'N'], [2, 'N']]);
    expect(() => infer('Split', [{ shape: [7] }], {}, { opset: 13, outputs: 2 })).toThrow(/7 into 2 equal parts/);
  });

  it('Concat adds the axis and unifies the rest', () => {
    expect(shapeOf('Concat', [{ shape: ['N', 3, 4] }, { shape: [2, 5, 4] }], { axis: 1 })).toEqual([2, 8, 4]);
    expect(shapeOf('Concat', [{ shape: ['N', 3] }, { shape: ['N', 3] }], { axis: 0 })).toEqual([null, 3]);
    expect(() => infer('Concat', [{ shape: [2, 3] }, { shape: [3, 3] }], { axis: 1 })).toThrow(/differ outside axis 1/);
  });

  it('Gather replaces the axis with the indices shape', () => {
    expect(shapeOf('Gather', [{ shape: [100, 64] }, { shape: ['N', 16], dtype: 'int64' }])).toEqual(['N', 16, 64]);
    expect(shapeOf('Gather', [{ shape: [3, 4, 5] }, Tensor.scalar('int64', 1)], { axis: 1 })).toEqual([3, 5]);
  });
});

describe('Constant / ConstantOfShape / Shape / Range', () => {
  it('Constant of every value kind', () => {
    expect(infer('Constant', [], { value: Tensor.fromArray('float32', [2, 3], [1, 2, 3, 4, 5, 6]) })).toMatchObject({ shapes: [[2, 3]], dtypes: ['float32'] });
    expect(infer('Constant', [], { value_float: 1.5 })).toMatchObject({ shapes: [[]], dtypes: ['float32'] });
    expect(infer('Constant', [], { value_floats: [1.5, 2.5] })).toMatchObject({ shapes: [[2]], dtypes: ['float32'] });
    expect(infer('Constant', [], { value_int: 3 })).toMatchObject({ shapes: [[]], dtypes: ['int64'] });
    expect(infer('Constant', [], { value_ints: [1, 2, 3] })).toMatchObject({ shapes: [[3]], dtypes: ['int64'] });
  });

  it('ConstantOfShape from a constant shape, dtype from `value`', () => {
    expect(infer('ConstantOfShape', [i64([2, 3])], { value: Tensor.fromArray('int64', [1], [0]) })).toMatchObject({ shapes: [[2, 3]], dtypes: ['int64'] });
    expect(infer('ConstantOfShape', [i64([4])])).toMatchObject({ shapes: [[4]], dtypes: ['float32'] });
  });

  it('Shape honours start/end', () => {
    expect(infer('Shape', [{ shape: ['N', 3, 4, 5] }])).toMatchObject({ shapes: [[4]], dtypes: ['int64'] });
    expect(shapeOf('Shape', [{ shape: ['N', 3, 4, 5] }], { start: 1, end: -1 }, { opset: 15 })).toEqual([2]);
  });

  it('Range with constant inputs', () => {
    const s = (v: number): Tensor => Tensor.scalar('int64', v);
    expect(shapeOf('Range', [s(2), s(11), s(3)])).toEqual([3]);
    expect(shapeOf('Range', [s(10), s(0), s(-4)])).toEqual([3]);
    expect(infer('Range', [Tensor.scalar('float32', 0), Tensor.scalar('float32', 1), Tensor.scalar('float32', 0.25)])).toMatchObject({ shapes: [[4]], dtypes: ['float32'] });
    expect(infer('Range', [{ shape: [], dtype: 'int64' }, s(4), s(1)]).unknown).toEqual(['Range']);
  });
});

describe('reductions, ArgMax, TopK', () => {
  it('ReduceMean attribute axes with and without keepdims (opset 17)', () => {
    expect(shapeOf('ReduceMean', [{ shape: ['N', 16, 64] }], { axes: [-1] })).toEqual(['N', 16, 1]);
    expect(shapeOf('ReduceMean', [{ shape: ['N', 16, 64] }], { axes: [1, 2], keepdims: 0 })).toEqual(['N']);
    expect(shapeOf('ReduceMax', [{ shape: [2, 3] }], { keepdims: 0 })).toEqual([]);
  });

  it('ReduceSum takes axes as an input from opset 13, ReduceMean from 18', () => {
    expect(shapeOf('ReduceSum', [{ shape: [2, 3, 4] }], { axes: [1] }, { opset: 12 })).toEqual([2, 1, 4]);
    expect(shapeOf('ReduceSum', [{ shape: [2, 3, 4] }, i64([1])], {}, { opset: 13 })).toEqual([2, 1, 4]);
    expect(shapeOf('ReduceMean', [{ shape: [2, 3, 4] }, i64([0, 2])], { keepdims: 0 }, { opset: 18 })).toEqual([3]);
  });

  it('noop_with_empty_axes', () => {
    expect(shapeOf('ReduceSum', [{ shape: [2, 3] }, i64([])], { noop_with_empty_axes: 1 }, { opset: 13 })).toEqual([2, 3]);
    expect(shapeOf('ReduceSum', [{ shape: [2, 3] }], { noop_with_empty_axes: 0 }, { opset: 13 })).toEqual([1, 1]);
  });

  it('ArgMax gives int64', () => {
    expect(infer('ArgMax', [{ shape: ['N', 10] }], { axis: 1, keepdims: 0 })).toMatchObject({ shapes: [['N']], dtypes: ['int64'] });
    expect(shapeOf('ArgMin', [{ shape: ['N', 10] }], { axis: -1 })).toEqual(['N', 1]);
  });

  it('TopK: k attribute (opset 9) and K input (opset 11)', () => {
    expect(infer('TopK', [{ shape: ['N', 10] }], { k: 3 }, { opset: 9, outputs: 2 })).toMatchObject({ shapes: [['N', 3], ['N', 3]], dtypes: ['float32', 'int64'] });
    expect(infer('TopK', [{ shape: [5, 10] }, i64([4])], { axis: 0 }, { opset: 11, outputs: 2 }).shapes).toEqual([[4, 10], [4, 10]]);
  });
});

describe('Pad / Tile / Expand / Resize', () => {
  it('Pad: attribute (opset 2) and input (opset 11, opset 18 axes)', () => {
    expect(shapeOf('Pad', [{ shape: [1, 3, 4, 4] }], { pads: [0, 0, 1, 2, 0, 0, 1, 2] }, { opset: 2 })).toEqual([1, 3, 6, 8]);
    expect(shapeOf('Pad', [{ shape: ['N', 3, 4, 4] }, i64([0, 0, 1, 1, 0, 0, 1, 1])], {}, { opset: 11 })).toEqual(['N', 3, 6, 6]);
    expect(shapeOf('Pad', [{ shape: ['N', 3, 4, 4] }, i64([2, 3]), null, i64([-1])], {}, { opset: 18 })).toEqual(['N', 3, 4, 9]);
  });

  it('Tile multiplies, Expand broadcasts', () => {
    expect(shapeOf('Tile', [{ shape: [2, 3] }, i64([2, 1])])).toEqual([4, 3]);
    expect(shapeOf('Expand', [{ shape: [3, 1] }, i64([2, 1, 6])])).toEqual([2, 3, 6]);
  });

  it('Resize from scales or sizes', () => {
    const scales = Tensor.fromArray('float32', [4], [1, 1, 2, 1.5]);
    expect(shapeOf('Resize', [{ shape: ['N', 3, 5, 5] }, null, scales])).toEqual(['N', 3, 10, 7]);
    expect(shapeOf('Resize', [{ shape: ['N', 3, 5, 5] }, null, null, i64([1, 3, 8, 9])])).toEqual([1, 3, 8, 9]);
    expect(shapeOf('Resize', [{ shape: [1, 3, 5, 5] }, scales], {}, { opset: 10 })).toEqual([1, 3, 10, 7]);
  });
});
