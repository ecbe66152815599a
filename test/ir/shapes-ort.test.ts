/**
 * Static inference against onnxruntime: every shape and dtype inferred must equal what onnxruntime computes, on the
 * zoo models, the PyTorch fixtures and a set of edge-case graphs (auto_pad, ceil_mode, negative steps, opset forms).
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { cloneModel } from '../../src/ir/clone.js';
import type { Model, Value } from '../../src/ir/graph.js';
import { inferShapes } from '../../src/ir/shapes/index.js';
import { Tensor } from '../../src/ir/tensor.js';
import { loadModel } from '../../src/onnx/index.js';
import { probeShapes } from '../../src/runtime/index.js';
import { buildZooModel, type ZooName } from '../../src/zoo/index.js';

const BATCH = 3;

/** Infers (annotations forgotten) and probes; returns the mismatches, the unknowns and how many values matched. */
async function compare(model: Model, fixed: Record<string, number>) {
  const probed = await probeShapes(model, { freeDims: fixed });
  const m = cloneModel(model);
  const { unknown } = inferShapes(m, { fixedDims: fixed, reset: true });
  const mismatches: string[] = [];
  let matched = 0;
  for (const node of m.graph.nodes) {
    for (const v of node.outputs) {
      if (!v || !v.shape || v.shape.includes(null)) continue;
      const p = probed.get(v.name);
      if (!p) throw new Error(`onnxruntime did not report '${v.name}'`);
      if (JSON.stringify(v.shape) !== JSON.stringify(p.dims) || v.dtype !== p.dtype) {
        mismatches.push(`${node.opType} '${v.name}': inferred ${v.dtype} [${v.shape.join(', ')}], onnxruntime ${p.dtype} [${p.dims.join(', ')}]`);
      } else matched++;
    }
  }
  return { mismatches, unknown, matched, values: m.graph.nodes.reduce((a, n) => a + n.outputs.filter(Boolean).length, 0) };
}

const ZOO_NAMES: ZooName[] = ['lenet-300-100', 'lenet5', 'resnet-small', 'mobilenetv2-small', 'vit-tiny'];
const FIXTURES = ['mlp', 'cnn_bn', 'resnet18', 'transformer_layer', 'convnet_constant'];

describe('static shapes agree with onnxruntime', () => {
  for (const name of ZOO_NAMES) {
    it(`zoo ${name}: every value inferred, all equal`, async () => {
      const r = await compare(buildZooModel(name), { N: BATCH });
      expect(r.mismatches).toEqual([]);
      expect(r.unknown).toEqual([]);
      expect(r.matched).toBe(r.values);
    });
  }

  for (const name of FIXTURES) {
    it(`PyTorch fixture ${name}: every value inferred, all equal`, async () => {
      const r = await compare(await loadModel(`fixtures/pytorch/${name}.onnx`), { N: BATCH });
      expect(r.mismatches).toEqual([]);
      expect(r.unknown).toEqual([]);
      expect(r.matched).toBe(r.values);
    }, 60_000);
  }

  it('transformer_layer with a symbolic batch: head dims become monomials such as 4*N', async () => {
    const m = await loadModel('fixtures/pytorch/transformer_layer.onnx');
    expect(inferShapes(m, { reset: true }).unknown).toEqual([]);
    expect(m.graph.requireValue('/layer/self_attn/Reshape_output_0').shape).toEqual([16, '4*N', 16]);
    expect(m.graph.requireValue('/layer/self_attn/Reshape_3_output_0').shape).toEqual(['16*N', 64]);
    expect(m.graph.requireValue('output').shape).toEqual(['N', 16, 64]);
  });

  it('symbolic inference evaluated at N = 3 equals inference with N fixed, value by value', async () => {
    const fixtures = await Promise.all(FIXTURES.map((f) => loadModel(`fixtures/pytorch/${f}.onnx`)));
    for (const model of [...ZOO_NAMES.map((n) => buildZooModel(n)), ...fixtures]) {
      const symbolic = cloneModel(model);
      const fixed = cloneModel(model);
      expect(inferShapes(symbolic, { reset: true }).unknown).toEqual([]);
      inferShapes(fixed, { reset: true, fixedDims: { N: BATCH } });
      const evaluate = (d: number | string | null): number | null =>
        typeof d === 'string' ? d.split('*').reduce((a, p) => a * (p === 'N' ? BATCH : Number(p)), 1) : d;
      for (const v of symbolic.graph.allValues()) {
        expect(v.shape?.map(evaluate), v.name).toEqual(fixed.graph.requireValue(v.name).shape);
      }
    }
  }, 60_000);
});

/** Small graphs that hit the corner cases of the rules, one model per opset. */
function edgeCases(opset: number): Model {
  const b = new GraphBuilder(`edges${opset}`);
  const x = b.input('x', 'float32', [2, 3, 15, 16]);
  const i64 = (xs: number[]) => b.constI64('c', xs);
  const w = (dims: number[]) => b.constF32('w', dims, new Float32Array(dims.reduce((p, q) => p * q, 1)).fill(0.1));
  const outs = [
    b.op('Conv', [x, w([4, 3, 3, 3])], { auto_pad: 'SAME_UPPER', strides: [2, 2] }),
    b.op('Conv', [x, w([4, 3, 4, 4])], { auto_pad: 'SAME_LOWER', strides: [2, 3] }),
    b.op('Conv', [x, w([6, 1, 3, 3])], { group: 3, dilations: [2, 1], pads: [0, 1, 2, 3] }),
    // ceil_mode exists from opset 10.
    b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: opset >= 10 ? 1 : undefined }),
    b.op('AveragePool', [x], { kernel_shape: [2, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: opset >= 10 ? 1 : undefined }),
    b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: opset >= 10 ? 1 : undefined }),
    b.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
    b.op('ConvTranspose', [x, w([3, 2, 3, 3])], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] }),
    b.op('ConvTranspose', [x, w([3, 1, 3, 3])], { group: 3, dilations: [2, 2], strides: [3, 2] }),
    b.op('GlobalMaxPool', [x]),
    b.op('Flatten', [x], { axis: 0 }),
    b.op('Transpose', [x]),
    b.op('MatMul', [x, w([16])]),
    b.op('MatMul', [w([15]), b.op('Transpose', [x], { perm: [1, 0, 2, 3] })]),
    b.op('MatMul', [x, w([2, 1, 16, 5])]),
    b.op('Softmax', [x], { axis: 1 }),
    b.op('Pad', [x, ...(opset >= 11 ? [i64([0, 0, 1, 2, 0, 1, 0, 3])] : [])], opset >= 11 ? {} : { pads: [0, 0, 1, 2, 0, 1, 0, 3] }),
    b.op('Tile', [x, i64([1, 2, 1, 3])]),
    b.op('Expand', [w([1, 16]), i64([2, 1, 1])]),
    b.op('Gather', [x, b.constI64('idx', [2, 0, 1, 1])], { axis: 1 }),
    b.op('Where', [b.op('Greater', [x, w([16])]), x, w([15, 1])]),
    b.op('Cast', [b.op(opset >= 11 ? 'Equal' : 'Less', [x, x])], { to: 6 }),
  ];
  outs.push(...opsetForms(b, x, opset));
  outs.forEach((v) => b.output(v));
  return b.model(opset);
}

/** Ops whose attributes became inputs: each model uses the form its opset wants. */
function opsetForms(b: GraphBuilder, x: ReturnType<GraphBuilder['input']>, opset: number) {
  const i64 = (xs: number[]) => b.constI64('c', xs);
  const attrs = opset < 13;
  // Negative axes exist from opset 11.
  const unsq = attrs ? b.op('Unsqueeze', [x], { axes: opset >= 11 ? [0, -1] : [0, 5] }) : b.op('Unsqueeze', [x, i64([0, -1])]);
  const sq = attrs ? b.op('Squeeze', [unsq], { axes: [0] }) : b.op('Squeeze', [unsq, i64([0])]);
  const red = opset < 13 ? b.op('ReduceSum', [x], { axes: [1, -1], keepdims: 0 }) : b.op('ReduceSum', [x, i64([1, -1])], { keepdims: 0 });
  const sl = opset < 10
    ? b.op('Slice', [x], { starts: [1, -4], ends: [1000, -1], axes: [2, 3] })
    : b.op('Slice', [x, i64([-1, 10]), i64([-1000, 2]), i64([2, 3]), i64([-2, -3])]);
  const split = opset < 13
    ? b.opN('Split', [x], 2, { axis: 3, split: [5, 11] })
    : opset >= 18 ? b.opN('Split', [x], 3, { axis: 2, num_outputs: 3 }) : b.opN('Split', [x, i64([5, 11])], 2, { axis: 3 });
  const topk = opset < 10 ? b.opN('TopK', [x], 2, { k: 4 }) : b.opN('TopK', [x, i64([4])], 2, { axis: 2 });
  const out = [unsq, sq, red, sl, ...split, ...topk, b.op('ArgMax', [x], { axis: 2, keepdims: 0 })];
  if (opset >= 11) {
    const shape = b.op('Shape', [x]);
    const r = b.op('Range', [b.scalar(1, 'int64'), b.op('Gather', [shape, b.scalar(3, 'int64')]), b.scalar(4, 'int64')]);
    const scales = Tensor.fromArray('float32', [4], [1, 1, 0.5, 1.7]);
    out.push(r, b.op('ConstantOfShape', [shape], { value: Tensor.fromArray('int32', [1], [7]) }));
    out.push(b.op('Resize', [x, b.constF32('roi', [0], []), b.initializer('scales', scales)], { mode: 'nearest' }));
    out.push(b.op('Resize', [x, b.constF32('roi', [0], []), b.constF32('none', [0], []), i64([2, 3, 7, 9])], { mode: 'linear' }));
  }
  if (opset >= 11) out.push(...integerOps(b, x));
  if (opset >= 14) out.push(b.op('Reshape', [x, i64([0, 5, -1, 2])], { allowzero: 0 }));
  return out;
}

/** Dynamic quantization and the integer conv / matmul ops. */
function integerOps(b: GraphBuilder, x: ReturnType<GraphBuilder['input']>) {
  const [q, qs, qz] = b.opN('DynamicQuantizeLinear', [x], 3) as [Value, Value, Value];
  const u8 = (name: string, dims: number[]) => b.initializer(name, Tensor.fromArray('uint8', dims, new Array<number>(dims.reduce((p, r) => p * r, 1)).fill(3)));
  const wq = u8('wq', [4, 3, 3, 3]);
  const mq = u8('mq', [16, 5]);
  const zp = b.initializer('zp', Tensor.scalar('uint8', 128));
  const scale = b.scalar(0.05);
  return [q, qs, qz,
    b.op('ConvInteger', [q, wq, qz], { pads: [1, 1, 1, 1], strides: [2, 2] }),
    b.op('MatMulInteger', [q, mq, qz]),
    b.op('QLinearConv', [q, qs, qz, wq, scale, zp, scale, zp], { strides: [2, 1] }),
    b.op('QLinearMatMul', [q, qs, qz, mq, scale, zp, scale, zp]),
  ];
}

describe('rule corner cases agree with onnxruntime', () => {
  for (const opset of [9, 11, 13, 18]) {
    it(`opset ${opset}`, async () => {
      const model = edgeCases(opset);
      const r = await compare(model, {});
      expect(r.mismatches).toEqual([]);
      expect(r.unknown).toEqual([]);
      expect(r.matched).toBe(r.values);
    });
  }
});
