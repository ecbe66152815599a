import { describe, expect, it } from 'vitest';
import { GraphBuilder, type AttrMap } from '../../src/ir/builder.js';
import type { DataType } from '../../src/ir/dtype.js';
import type { Dim } from '../../src/ir/graph.js';
import { inferShapes } from '../../src/ir/shapes/index.js';
import { Tensor } from '../../src/ir/tensor.js';

/** An input slot: a graph input of this shape (float32 unless given), a constant, or omitted. */
type In = { readonly shape: Dim[]; readonly dtype?: DataType } | Tensor | null;

/** Builds one `op` node over `inputs`, infers, and returns the outputs' shapes and dtypes. */
function infer(op: string, inputs: readonly In[], attrs: AttrMap = {}, o: { opset?: number; outputs?: number; domain?: string } = {}) {
  const b = new GraphBuilder('t');
  const vals = inputs.map((x, i) => (x === null ? null : x instanceof Tensor ? b.initializer(`c${i}`, x) : b.input(`x${i}`, x.dtype ?? 'float32', x.shape)));
  const outs = b.opN(op, vals, o.outputs ?? 1, attrs, { domain: o.domain });
  outs.forEach((v) => b.output(v));
  const model = b.model(o.opset ?? 17);
  if (o.domain) model.opsets.set(o.domain, 1);
  const res = inferShapes(model);
  return { shapes: outs.map((v) => v.shape), dtypes: outs.map((v) => v.dtype), unknown: res.unknown };
}
const shapeOf = (...a: Parameters<typeof infer>): Dim[] | undefined => infer(...a).shapes[0];
const i64 = (xs: number[]): Tensor => Tensor.fromArray('int64', [xs.length], xs);

describe('elementwise rules', () => {
  it('broadcast numpy-style, with symbolic dims', () => {
    expect(shapeOf('Add', [{ shape: ['N', 3, 1] }, { shape: [4] }])).toEqual(['N', 3, 4]);
    expect(shapeOf('Mul', [{ shape: ['N', 1] }, { shape: [1, 5] }])).toEqual(['N', 5]);
    expect(shapeOf('Sub', [{ shape: ['N'] }, { shape: [7] }])).toEqual([7]);
    expect(shapeOf('Div', [{ shape: ['N'] }, { shape: ['M'] }])).toEqual([null]);
    expect(shapeOf('Pow', [{ shape: [2, 3] }, { shape: [] }])).toEqual([2, 3]);
  });

  it('variadic Max/Min/Sum broadcast every input', () => {
    expect(shapeOf('Max', [{ shape: [2, 1] }, { shape: [3] }, { shape: [1, 1, 1] }])).toEqual([1, 2, 3]);
    expect(shapeOf('Sum', [{ shape: [4] }, { shape: [2, 4] }])).toEqual([2, 4]);
  });

  it('fails loudly on incompatible dims, naming node, op and opset', () => {
    expect(() => infer('Add', [{ shape: [2, 3] }, { shape: [3, 3] }])).toThrow(/node 'Add' \(ai\.onnx Add, opset 17\): cannot broadcast shapes \[2, 3\] and \[3, 3\]/);
  });

  it('comparisons and logic give bool, Where the dtype of x', () => {
    for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual']) {
      expect(infer(op, [{ shape: [2, 1] }, { shape: [3] }]).dtypes[0]).toBe('bool');
    }
    expect(infer('And', [{ shape: [2], dtype: 'bool' }, { shape: [2], dtype: 'bool' }]).dtypes[0]).toBe('bool');
    expect(infer('Not', [{ shape: [5], dtype: 'bool' }])).toMatchObject({ shapes: [[5]], dtypes: ['bool'] });
    const w = infer('Where', [{ shape: [2, 1], dtype: 'bool' }, { shape: [3], dtype: 'int64' }, { shape: [1] }]);
    expect(w).toMatchObject({ shapes: [[2, 3]], dtypes: ['int64'] });
  });

  it('activations keep shape and dtype', () => {
    for (const op of ['Relu', 'Sigmoid', 'Tanh', 'Erf', 'Exp', 'Log', 'Sqrt', 'Neg', 'Abs', 'Identity', 'Softmax', 'LogSoftmax', 'LeakyRelu', 'Clip', 'Gelu']) {
      expect(infer(op, [{ shape: ['N', 7], dtype: 'float16' }], {}, { opset: 20 })).toMatchObject({ shapes: [['N', 7]], dtypes: ['float16'] });
    }
    expect(shapeOf('Gelu', [{ shape: [2, 3] }], {}, { domain: 'com.microsoft' })).toEqual([2, 3]);
  });

  it('Cast takes the dtype from `to`; a bad code is an error', () => {
    expect(infer('Cast', [{ shape: [3] }], { to: 7 }).dtypes).toEqual(['int64']);
    expect(() => infer('Cast', [{ shape: [3] }], { to: 99 })).toThrow(/unknown type code 99/);
  });

  it('Dropout returns the output and a bool mask', () => {
    expect(infer('Dropout', [{ shape: [2, 3] }], {}, { outputs: 2 })).toMatchObject({ shapes: [[2, 3], [2, 3]], dtypes: ['float32', 'bool'] });
  });

  it('QuantizeLinear takes the zero point dtype, DequantizeLinear the scale dtype', () => {
    const zp = Tensor.scalar('int8', 0);
    expect(infer('QuantizeLinear', [{ shape: [4] }, Tensor.scalar('float32', 0.1), zp]).dtypes).toEqual(['int8']);
    expect(infer('QuantizeLinear', [{ shape: [4] }, Tensor.scalar('float32', 0.1)]).dtypes).toEqual(['uint8']);
    expect(infer('DequantizeLinear', [{ shape: [4], dtype: 'uint8' }, Tensor.scalar('float32', 0.1)]).dtypes).toEqual(['float32']);
  });
});

describe('Conv / ConvTranspose', () => {
  const w = (dims: number[]): Tensor => Tensor.fromArray('float32', dims, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0));

  it('applies pads, strides, dilations', () => {
    expect(shapeOf('Conv', [{ shape: ['N', 3, 32, 32] }, w([8, 3, 3, 3])], { pads: [1, 1, 1, 1], strides: [2, 2] })).toEqual(['N', 8, 16, 16]);
    expect(shapeOf('Conv', [{ shape: [1, 3, 32, 30] }, w([8, 3, 3, 3])], { dilations: [2, 3] })).toEqual([1, 8, 28, 24]);
    expect(shapeOf('Conv', [{ shape: [1, 1, 28, 28] }, w([20, 1, 5, 5])])).toEqual([1, 20, 24, 24]);
    expect(shapeOf('Conv', [{ shape: [1, 2, 10] }, w([4, 2, 3])], { pads: [2, 0] })).toEqual([1, 4, 10]);
  });

  it('auto_pad SAME_UPPER / SAME_LOWER give ceil(in / stride), VALID drops the remainder', () => {
    expect(shapeOf('Conv', [{ shape: [1, 3, 15, 16] }, w([4, 3, 3, 3])], { auto_pad: 'SAME_UPPER', strides: [2, 2] })).toEqual([1, 4, 8, 8]);
    expect(shapeOf('Conv', [{ shape: [1, 3, 15, 16] }, w([4, 3, 4, 4])], { auto_pad: 'SAME_LOWER', strides: [2, 3] })).toEqual([1, 4, 8, 6]);
    expect(shapeOf('Conv', [{ shape: [1, 3, 15, 16] }, w([4, 3, 3, 3])], { auto_pad: 'VALID', strides: [2, 2] })).toEqual([1, 4, 7, 7]);
  });

  it('checks channels against group', () => {
    expect(shapeOf('Conv', [{ shape: [1, 8, 5, 5] }, w([8, 1, 3, 3])], { group: 8, pads: [1, 1, 1, 1] })).toEqual([1, 8, 5, 5]);
    expect(() => infer('Conv', [{ shape: [1, 8, 5, 5] }, w([8, 2, 3, 3])], { group: 2 })).toThrow(/8 channels but W .* group 2 expects 4/);
  });

  it('leaves symbolic spatial dims unknown', () => {
    expect(infer('Conv', [{ shape: [1, 3, 'H', 8] }, w([4, 3, 3, 3])])).toMatchObject({ shapes: [[1, 4, null, 6]], unknown: ['Conv'] });
  });

  it('ConvTranspose: stride, pads, output_padding, group, output_shape, SAME', () => {
    const x = { shape: [1, 4, 5, 5] };
    expect(shapeOf('ConvTranspose', [x, w([4, 3, 3, 3])], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] })).toEqual([1, 3, 10, 10]);
    expect(shapeOf('ConvTranspose', [x, w([4, 2, 3, 3])], { group: 2, dilations: [2, 2] })).toEqual([1, 4, 9, 9]);
    expect(shapeOf('ConvTranspose', [x, w([4, 3, 3, 3])], { strides: [3, 3], output_shape: [15, 16] })).toEqual([1, 3, 15, 16]);
    expect(shapeOf('ConvTranspose', [x, w([4, 3, 3, 3])], { strides: [2, 2], auto_pad: 'SAME_UPPER' })).toEqual([1, 3, 10, 10]);
  });
});

describe('pooling', () => {
  it('MaxPool floors by default and has an int64 Indices output', () => {
    const r = infer('MaxPool', [{ shape: ['N', 3, 7, 7] }], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: 2 });
    expect(r).toMatchObject({ shapes: [['N', 3, 3, 3], ['N', 3, 3, 3]], dtypes: ['float32', 'int64'] });
  });

  it('ceil_mode rounds up, dropping a window that would start in the end padding', () => {
    expect(shapeOf('MaxPool', [{ shape: [1, 3, 7, 7] }], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })).toEqual([1, 3, 4, 4]);
    expect(shapeOf('AveragePool', [{ shape: [1, 1, 5, 5] }], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 })).toEqual([1, 1, 3, 3]);
    expect(shapeOf('AveragePool', [{ shape: [1, 1, 5, 5] }], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] })).toEqual([1, 1, 3, 3]);
  });

  it('pools accept auto_pad and require kernel_shape', () => {
    expect(shapeOf('MaxPool', [{ shape: [1, 3, 7, 7] }], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' })).toEqual([1, 3, 4, 4]);
    expect(() => infer('MaxPool', [{ shape: [1, 3, 7, 7] }], { strides: [2, 2] })).toThrow(/kernel_shape/);
  });

  it('global pools keep N and C', () => {
    expect(shapeOf('GlobalAveragePool', [{ shape: ['N', 64, 7, 9] }])).toEqual(['N', 64, 1, 1]);
    expect(shapeOf('GlobalMaxPool', [{ shape: [2, 8, 3] }])).toEqual([2, 8, 1]);
  });
});

describe('normalization', () => {
  it('BatchNormalization keeps X; training outputs are [C]', () => {
    const p = Tensor.fromArray('float32', [3], [1, 1, 1]);
    expect(infer('BatchNormalization', [{ shape: ['N', 3, 4, 4] }, p, p, p, p], {}, { outputs: 3 }).shapes).toEqual([['N', 3, 4, 4], [3], [3]]);
  });

  it('LayerNormalization: Mean / InvStdDev keep the dims before axis', () => {
    const p = Tensor.fromArray('float32', [8], new Array<number>(8).fill(1));
    const r = infer('LayerNormalization', [{ shape: ['N', 5, 8] }, p, p], { axis: -1 }, { outputs: 3 });
    expect(r.shapes).toEqual([['N', 5, 8], ['N', 5, 1], ['N', 5, 1]]);
    expect(r.dtypes).toEqual(['float32', 'float32', 'float32']);
  });

  it('InstanceNormalization keeps X', () => {
    const p = Tensor.fromArray('float32', [3], [1, 1, 1]);
    expect(shapeOf('InstanceNormalization', [{ shape: [2, 3, 5] }, p, p])).toEqual([2, 3, 5]);
  });
});

describe('Gemm / MatMul', () => {
  it('Gemm honours transA and transB', () => {
    expect(shapeOf('Gemm', [{ shape: ['N', 784] }, { shape: [300, 784] }], { transB: 1 })).toEqual(['N', 300]);
    expect(shapeOf('Gemm', [{ shape: [784, 'N'] }, { shape: [784, 300] }], { transA: 1 })).toEqual(['N', 300]);
    expect(() => infer('Gemm', [{ shape: [2, 5] }, { shape: [4, 3] }])).toThrow(/inner dims differ/);
  });

  it('MatMul broadcasts batch dims', () => {
    expect(shapeOf('MatMul', [{ shape: ['N', 4, 16, 8] }, { shape: [8, 32] }])).toEqual(['N', 4, 16, 32]);
    expect(shapeOf('MatMul', [{ shape: [2, 1, 3, 4] }, { shape: [5, 4, 6] }])).toEqual([2, 5, 3, 6]);
    expect(shapeOf('MatMul', [{ shape: ['B', 16, 8] }, { shape: ['B', 8, 16] }])).toEqual(['B', 16, 16]);
  });

  it('MatMul promotes and drops 1-D operands', () => {
    expect(shapeOf('MatMul', [{ shape: [4] }, { shape: [4, 6] }])).toEqual([6]);
    expect(shapeOf('MatMul', [{ shape: [3, 2, 4] }, { shape: [4] }])).toEqual([3, 2]);
    expect(shapeOf('MatMul', [{ shape: [4] }, { shape: [4] }])).toEqual([]);
    expect(() => infer('MatMul', [{ shape: [3, 4] }, { shape: [5] }])).toThrow(/inner dims differ: \[3, 4\] x \[5\]/);
  });

  it('com.microsoft FusedMatMul transposes the last two dims', () => {
    expect(shapeOf('FusedMatMul', [{ shape: [2, 8, 3] }, { shape: [2, 5, 8] }], { transA: 1, transB: 1 }, { domain: 'com.microsoft' })).toEqual([2, 3, 5]);
  });
});
