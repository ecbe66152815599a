/**
 * Finite-difference checks of the pooling gradients. MaxPool's scatter gradient (overlapping windows, and float64)
 * has float64 kernels in onnxruntime's CPU build, so it is checked in float64 (ε = 1e-6, rtol = 1e-6, atol = 1e-9);
 * the MaxUnpool gradient of disjoint float32 windows, AveragePool, GlobalAveragePool, GlobalMaxPool and the
 * ConvTranspose of the average-pool gradient are float32 only (ε = 1e-3, rtol = 2e-2, atol = 1e-3).
 */
import { describe, expect, it } from 'vitest';
import { buildGradientGraph } from '../../../src/autodiff/backward.js';
import { assertGradients } from '../../../src/autodiff/check.js';
import { NN_GRAD_RULES } from '../../../src/autodiff/rules/table-nn.js';
import { SecateursError } from '../../../src/errors.js';
import { GraphBuilder, type AttrMap } from '../../../src/ir/builder.js';
import type { DataType } from '../../../src/ir/dtype.js';
import type { Model } from '../../../src/ir/graph.js';

const rules = NN_GRAD_RULES;

function poolModel(op: string, x: readonly (number | string)[], attrs: AttrMap, dtype: DataType, opset = 17): Model {
  const b = new GraphBuilder(op);
  const input = b.input('x', dtype, x);
  b.output(b.op(op, [input], attrs), { name: 'y', dtype });
  return b.model(opset);
}

const MAX: readonly (readonly [string, readonly number[], AttrMap])[] = [
  ['2x2 stride 2', [2, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }],
  ['3x3 stride 2 pads 1 (overlapping)', [2, 2, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
  ['3x3 stride 2 ceil_mode', [1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }],
  ['2x2 dilations 2', [1, 2, 7, 7], { kernel_shape: [2, 2], dilations: [2, 2] }],
  ['auto_pad SAME_UPPER, stride 2', [1, 2, 5, 6], { kernel_shape: [3, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' }],
  ['1-D, kernel 3, stride 1', [2, 3, 8], { kernel_shape: [3] }],
];

const AVG: readonly (readonly [string, readonly number[], AttrMap])[] = [
  ['2x2 stride 2', [2, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }],
  ['3x3 stride 2 pads 1, count_include_pad 0', [2, 2, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
  ['3x3 stride 2 pads 1, count_include_pad 1', [2, 2, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }],
  ['ceil_mode, pads [1, 0, 0, 1], count_include_pad 0', [1, 2, 6, 7], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1 }],
  ['ceil_mode, pads [1, 0, 0, 1], count_include_pad 1', [1, 2, 6, 7], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1, count_include_pad: 1 }],
  ['auto_pad SAME_LOWER, stride 2', [1, 2, 5, 6], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' }],
  ['1-D, stride 2, pads 1', [2, 3, 9], { kernel_shape: [3], strides: [2], pads: [1, 1] }],
];

describe('MaxPool gradient (float64)', () => {
  it.each(MAX.map(([n, x, a]) => [n, x, a] as const))('%s', async (_, x, attrs) => {
    const r = await assertGradients(poolModel('MaxPool', x, attrs, 'float64'), { gradient: { rules } });
    expect(r.precision).toBe('float64');
  });

  it('scatters without reduction before opset 13 when windows are disjoint', async () => {
    const r = await assertGradients(poolModel('MaxPool', [2, 2, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }, 'float64', 12), { gradient: { rules } });
    const scatter = r.gradient.model.graph.nodes.find((n) => n.opType === 'ScatterElements');
    expect(scatter?.attributes.has('reduction')).toBe(false);
  });

  it('differentiates overlapping windows of an opset-13 model (the gradient graph is raised to opset 16)', async () => {
    const r = await assertGradients(poolModel('MaxPool', [1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2] }, 'float64', 13), { gradient: { rules } });
    expect(r.gradient.model.opsets.get('')).toBe(16);
    expect(r.gradient.model.graph.nodes.find((n) => n.opType === 'ScatterElements')?.attributes.get('reduction')).toEqual({ type: 'string', value: 'add' });
  });

  it('fails naming opset 16 for overlapping windows at opset 12', () => {
    const model = poolModel('MaxPool', [1, 1, 5, 5], { kernel_shape: [3, 3], strides: [2, 2] }, 'float32', 12);
    expect(() => buildGradientGraph(model, { loss: 'y', wrt: ['x'], rules })).toThrow(new SecateursError('AUTODIFF_UNSUPPORTED',
      "node 'MaxPool' (ai.onnx MaxPool, opset 12): its gradient scatter-adds into overlapping windows, which needs ScatterElements " +
      "with reduction 'add' (opset 16+); disjoint windows (stride ≥ dilated kernel) work from opset 11. Convert the model to opset 16+."));
  });

  it('fails for column-major Indices', () => {
    const model = poolModel('MaxPool', [1, 1, 4, 4], { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 }, 'float32');
    expect(() => buildGradientGraph(model, { loss: 'y', wrt: ['x'], rules })).toThrow(/storage_order=1 \(column-major Indices\) is not supported/);
  });
});

const MAX_DISJOINT: readonly (readonly [string, readonly number[], AttrMap])[] = [
  ['2x2 stride 2', [2, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }],
  ['2x2 stride 2 pads 1', [1, 2, 7, 7], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] }],
  ['2x2 stride 2 ceil_mode (partial last window)', [1, 2, 7, 5], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }],
  ['2x2 dilations 2 stride 3', [1, 2, 8, 8], { kernel_shape: [2, 2], strides: [3, 3], dilations: [2, 2] }],
  ['3x2 strides 3x2', [2, 2, 9, 6], { kernel_shape: [3, 2], strides: [3, 2] }],
  ['1-D, kernel 2, stride 2', [2, 3, 9], { kernel_shape: [2], strides: [2] }],
];

describe('MaxPool gradient (float32, disjoint windows: MaxUnpool)', () => {
  it.each(MAX_DISJOINT.map(([n, x, a]) => [n, x, a] as const))('%s', async (_, x, attrs) => {
    const r = await assertGradients(poolModel('MaxPool', x, attrs, 'float32'), { gradient: { rules } });
    const ops = r.gradient.model.graph.nodes.map((n) => n.opType);
    expect(ops).toContain('MaxUnpool');
    expect(ops).not.toContain('ScatterElements');
  });

  it('does not read X in the backward pass when its spatial dims are static (the batch symbolic)', async () => {
    const model = poolModel('MaxPool', ['N', 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }, 'float32');
    const data = Float32Array.from({ length: 216 }, (_, i) => ((i * 37) % 216) * 0.05 - 5) // distinct, 0.05 apart: no ties within ε;
    const r = await assertGradients(model, { gradient: { rules }, feeds: { x: { dtype: 'float32', dims: [2, 3, 6, 6], data } } });
    const readers = r.gradient.model.graph.nodes.filter((n) => n.inputs.some((v) => v?.name === 'x')).map((n) => n.opType);
    expect(readers).toEqual(['MaxPool']);
  });

  it('reads Shape(X) only when the spatial dims are symbolic', async () => {
    const model = poolModel('MaxPool', [2, 3, 'H', 'W'], { kernel_shape: [2, 2], strides: [2, 2] }, 'float32');
    const data = Float32Array.from({ length: 144 }, (_, i) => ((i * 37) % 144) * 0.05 - 3.6);
    const r = await assertGradients(model, { gradient: { rules }, feeds: { x: { dtype: 'float32', dims: [2, 3, 6, 4], data } } });
    const readers = r.gradient.model.graph.nodes.filter((n) => n.inputs.some((v) => v?.name === 'x')).map((n) => n.opType).sort();
    expect(readers).toEqual(['MaxPool', 'Shape']);
  });
});

describe('AveragePool gradient (float32)', () => {
  it.each(AVG.map(([n, x, a]) => [n, x, a] as const))('%s', async (_, x, attrs) => {
    await assertGradients(poolModel('AveragePool', x, attrs, 'float32'), { gradient: { rules } });
  });

  it('2x2 dilations 2 (opset 19)', async () => {
    await assertGradients(poolModel('AveragePool', [1, 2, 7, 7], { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1] }, 'float32', 19), { gradient: { rules } });
  });
});

describe('global pools (float32)', () => {
  it('GlobalAveragePool', async () => {
    await assertGradients(poolModel('GlobalAveragePool', [2, 3, 4, 5], {}, 'float32'), { gradient: { rules } });
  });

  it('GlobalMaxPool', async () => {
    await assertGradients(poolModel('GlobalMaxPool', [2, 3, 4, 5], {}, 'float32'), { gradient: { rules } });
  });

  it('GlobalMaxPool 1-D', async () => {
    await assertGradients(poolModel('GlobalMaxPool', [2, 3, 7], {}, 'float32'), { gradient: { rules } });
  });
});
