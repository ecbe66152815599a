import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { countNonzero, fileSizes, findMacRule, findParameters, modelStats, noMacs } from '../../src/metrics/index.js';
import { encodeModel } from '../../src/onnx/index.js';
import { buildZooModel } from '../../src/zoo/index.js';

const f32 = (dims: number[], fill = 0.5): Tensor => Tensor.fromArray('float32', dims, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(fill));

describe('sparsity and nonzero counting', () => {
  it('zeroing half of a weight halves its nonzeros and that layer’s nonzero MACs', async () => {
    const model = buildZooModel('lenet-300-100');
    const w = model.graph.initializers.find((v) => v.constant!.dims.join('x') === '300x784')!;
    const data = w.constant!.toFloat32();
    data.fill(0, 0, data.length / 2);
    w.constant = Tensor.fromTyped('float32', [300, 784], data);
    const s = await modelStats(model, { shapes: 'static' });
    const fc1 = s.layers[0]!;
    expect(fc1).toMatchObject({ weight: w.name, params: 235_500, nonzero: 235_500 - 117_600, macs: 235_200, nonzeroMacs: 117_600 });
    expect(fc1.sparsity).toBeCloseTo(117_600 / 235_500, 12);
    expect(s.nonzeroParams).toBe(266_610 - 117_600);
    expect(s.nonzeroMacs).toBe(266_200 - 117_600);
    expect(s.compressionRatio).toBeCloseTo(266_610 / (266_610 - 117_600), 12);
    expect(s.theoreticalSpeedup).toBeCloseTo(266_200 / (266_200 - 117_600), 12);
  });

  it('countNonzero treats -0 as zero for every float width', () => {
    expect(countNonzero(Tensor.fromArray('float32', [4], [0, 1, -0, 2]))).toBe(2);
    expect(countNonzero(Tensor.fromArray('float16', [4], [0, -0, 3, 0.5]))).toBe(2);
    expect(countNonzero(Tensor.fromArray('bfloat16', [3], [-0, 1, 0]))).toBe(1);
    expect(countNonzero(Tensor.fromArray('int8', [3], [0, -1, 0]))).toBe(1);
    expect(countNonzero(Tensor.fromArray('int64', [3], [0, 5, 0]))).toBe(1);
  });
});

describe('what counts as a parameter', () => {
  it('a shared initializer counts once, at its first reader', async () => {
    const b = new GraphBuilder('shared');
    const x = b.input('x', 'float32', ['N', 8]);
    const w = b.initializer('w', f32([8, 8]));
    const h = b.op('MatMul', [x, w], {}, { name: 'first' });
    const y = b.op('MatMul', [h, b.op('Identity', [w])], {}, { name: 'second' });
    b.output(y);
    const s = await modelStats(b.model(17), { shapes: 'static' });
    expect(s.params).toBe(64);
    expect(s.layers.map((l) => [l.node, l.params, l.weight, l.macs])).toEqual([['first', 64, 'w', 64], ['second', 0, undefined, 64]]);
  });

  it('finds LeNet-300-100’s 266,610 parameters (the TSDoc example)', () => {
    const params = findParameters(buildZooModel('lenet-300-100').graph).filter((p) => p.kind === 'param');
    expect(params.reduce((n, p) => n + p.tensor.size, 0)).toBe(266_610);
    expect(params.map((p) => p.owner.opType)).toEqual(['Gemm', 'Gemm', 'Gemm', 'Gemm', 'Gemm', 'Gemm']);
  });

  it('leaves out shape constants, float scalars, Resize scales and traced Constant nodes', () => {
    const b = new GraphBuilder('consts');
    const x = b.input('x', 'float32', ['N', 2, 4, 4]);
    const r = b.op('Resize', [x, null, b.initializer('scales', Tensor.fromArray('float32', [4], [1, 1, 2, 2]))]);
    const scaled = b.op('Mul', [r, b.scalar(0.5)]);
    const traced = b.op('Mul', [scaled, b.op('Constant', [], { value: f32([1, 2, 1, 1]) })]);
    const biased = b.op('Add', [traced, b.initializer('bias', f32([1, 2, 1, 1]))]);
    b.output(b.op('Reshape', [biased, b.constI64('shape', [0, -1])]));
    const found = findParameters(b.graph);
    expect(found.map((p) => [p.name, p.kind])).toEqual([['bias', 'param']]);
  });

  it('BatchNormalization mean/var are buffers; scale and bias are parameters', () => {
    const b = new GraphBuilder('bn');
    const x = b.input('x', 'float32', ['N', 3, 2, 2]);
    const names = ['scale', 'B', 'mean', 'var'];
    b.output(b.op('BatchNormalization', [x, ...names.map((n) => b.initializer(n, f32([3], 1)))]));
    expect(findParameters(b.graph).map((p) => [p.name, p.kind])).toEqual([['scale', 'param'], ['B', 'param'], ['mean', 'buffer'], ['var', 'buffer']]);
  });

  it('a quantized weight (DequantizeLinear of int8) counts at its stored width', async () => {
    const b = new GraphBuilder('qdq');
    const x = b.input('x', 'float32', ['N', 4]);
    const wq = b.initializer('w_q', Tensor.fromArray('int8', [4, 3], [0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11]));
    const w = b.op('DequantizeLinear', [wq, b.scalar(0.1), b.scalar(0, 'int8')]);
    b.output(b.op('MatMul', [x, w]));
    const s = await modelStats(b.model(17), { shapes: 'static' });
    expect(s).toMatchObject({ params: 12, nonzeroParams: 8, paramBytes: 12, macs: 12, nonzeroMacs: 8 });
    expect(s.layers[0]!.weight).toBe('w_q');
  });
});

describe('MAC rules', () => {
  it('ConvTranspose counts input elements × kernel slice; Gemm honours transA', async () => {
    const b = new GraphBuilder('rules');
    const x = b.input('x', 'float32', ['N', 4, 5, 5]);
    const up = b.op('ConvTranspose', [x, b.initializer('wt', f32([4, 3, 3, 3]))], { strides: [2, 2] });
    const a = b.input('a', 'float32', [6, 'N']);
    const g = b.op('Gemm', [a, b.initializer('wg', f32([6, 7]))], { transA: 1 });
    b.output(up);
    b.output(g);
    const s = await modelStats(b.model(17), { shapes: 'static', batch: 2 });
    expect(s.layers.map((l) => [l.opType, l.macs, l.outputShape])).toEqual([
      ['ConvTranspose', 2 * 4 * 5 * 5 * 3 * 9, [2, 3, 11, 11]], ['Gemm', 2 * 7 * 6, [2, 7]],
    ]);
  });

  it('integer convs count like Conv; their uint8 weight is one parameter', async () => {
    const b = new GraphBuilder('int');
    const x = b.input('x', 'float32', ['N', 3, 8, 8]);
    const [q, qs, qz] = b.opN('DynamicQuantizeLinear', [x], 3);
    const wq = b.initializer('wq', Tensor.fromArray('uint8', [4, 3, 3, 3], new Array<number>(108).fill(1)));
    const zp = b.initializer('zp', Tensor.scalar('uint8', 128));
    b.output(b.op('ConvInteger', [q!, wq, qz!], { pads: [1, 1, 1, 1] }));
    b.output(b.op('QLinearConv', [q!, qs!, qz!, wq, b.scalar(0.1), zp, b.scalar(0.1), zp], { pads: [1, 1, 1, 1] }));
    const s = await modelStats(b.model(13), { shapes: 'static' });
    expect(s.layers.map((l) => [l.opType, l.macs, l.params])).toEqual([['ConvInteger', 4 * 3 * 9 * 64, 108], ['QLinearConv', 4 * 3 * 9 * 64, 0]]);
    expect(s).toMatchObject({ params: 108, paramBytes: 108, unsupported: [], unknownShapes: [] });
  });

  it('an op without a rule is reported, not treated as free; auto probes what static inference cannot', async () => {
    const b = new GraphBuilder('einsum');
    const x = b.input('x', 'float32', ['N', 4]);
    const e = b.op('Einsum', [x], { equation: 'ij->ij' });
    b.output(b.op('MatMul', [e, b.initializer('w', f32([4, 3]))]));
    const model = b.model(17);
    const stat = await modelStats(model, { shapes: 'static' });
    expect(stat).toMatchObject({ macs: 0, unsupported: ['Einsum (Einsum)'], unknownShapes: ['MatMul (MatMul)'] });
    const auto = await modelStats(model, { shapes: 'auto' });
    expect(auto).toMatchObject({ macs: 12, unsupported: ['Einsum (Einsum)'], unknownShapes: [] });
  });

  it('the registry lists zero-MAC ops explicitly', () => {
    expect(findMacRule('', 'Relu', 17)).toBe(noMacs);
    expect(findMacRule('', 'BatchNormalization', 17)).toBe(noMacs);
    expect(findMacRule('', 'LSTM', 17)).toBeUndefined();
    expect(findMacRule('com.microsoft', 'FusedMatMul', 1)).toBeDefined();
  });
});

describe('sizes and side effects', () => {
  it('fileSizes: raw length and gzip level 9 (the TSDoc example)', () => {
    expect(fileSizes(new Uint8Array(1000))).toEqual({ raw: 1000, gzip: 29 });
    expect(fileSizes(new Uint8Array(100_000)).gzip).toBeLessThan(200);
  });

  it('bySize encodes the model and gzips it at level 9', async () => {
    const model = buildZooModel('lenet5');
    const s = await modelStats(model, { shapes: 'static', fileSize: true });
    const bytes = encodeModel(model);
    expect(s.bySize!.raw).toBe(bytes.byteLength);
    expect(s.bySize!.gzip).toBeLessThan(bytes.byteLength);
    const gz = gzipSync(bytes, { level: 9 });
    expect(s.bySize!.gzip).toBe(gz.byteLength);
    expect(Buffer.compare(gunzipSync(gz), bytes)).toBe(0);
  });

  it('leaves the model untouched', async () => {
    const model = buildZooModel('lenet5');
    const before = model.graph.nodes.map((n) => JSON.stringify(n.output(0)!.shape ?? null));
    await modelStats(model, { shapes: 'static', batch: 8 });
    expect(model.graph.nodes.map((n) => JSON.stringify(n.output(0)!.shape ?? null))).toEqual(before);
    expect(model.graph.inputs[0]!.shape![0]).toBe('N');
  });

  it('rejects a bad batch', async () => {
    await expect(modelStats(buildZooModel('lenet5'), { batch: 0 })).rejects.toThrow(RangeError);
  });
});
