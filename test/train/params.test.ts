import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { batchNormStats, trainableParams, zeroMasks } from '../../src/train/index.js';
import { buildZooModel } from '../../src/zoo/index.js';

describe('trainableParams', () => {
  it('finds the weights and biases of Conv and Gemm from the graph', () => {
    const params = trainableParams(buildZooModel('lenet5'));
    expect(params.map((p) => `${p.name}:${p.role}:${p.opType}`)).toEqual([
      'conv1/weight:weight:Conv', 'conv1/bias:bias:Conv', 'conv2/weight:weight:Conv', 'conv2/bias:bias:Conv',
      'fc1/weight:weight:Gemm', 'fc1/bias:bias:Gemm', 'fc2/weight:weight:Gemm', 'fc2/bias:bias:Gemm',
    ]);
    expect(params.reduce((a, p) => a + p.size, 0)).toBe(431080);
  });

  it('takes BatchNorm scale and bias but not its running statistics', () => {
    const model = buildZooModel('resnet-small');
    const params = trainableParams(model);
    const stats = batchNormStats(model);
    expect(stats.length).toBeGreaterThan(0);
    const names = new Set(params.map((p) => p.name));
    for (const s of stats) {
      expect(names.has(s.mean)).toBe(false);
      expect(names.has(s.variance)).toBe(false);
    }
    const bn = model.graph.nodes.find((n) => n.opType === 'BatchNormalization')!;
    expect(names.has(bn.input(1)!.name)).toBe(true);
    expect(names.has(bn.input(2)!.name)).toBe(true);
    expect(params.filter((p) => p.opType === 'BatchNormalization').every((p) => p.role === 'scale' || p.role === 'bias')).toBe(true);
  });

  it('takes MatMul weights, the bias an Add puts on their output, and LayerNorm scale/bias', () => {
    const model = buildZooModel('vit-tiny');
    const params = trainableParams(model);
    const ops = new Set(params.map((p) => p.opType));
    expect(ops.has('MatMul')).toBe(true);
    expect(ops.has('LayerNormalization')).toBe(true);
    expect(params.some((p) => p.opType === 'Add' && p.role === 'bias')).toBe(true);
  });

  it('takes learned operands (class token, position embedding) but not scalar constants', () => {
    const params = trainableParams(buildZooModel('vit-tiny'));
    const operands = params.filter((p) => p.role === 'operand');
    expect(operands.map((p) => `${p.name} ${p.dims.join('x')}`)).toEqual(['cls_token 1x1x64', 'pos_embed 1x17x64']);
    expect(params.every((p) => p.size >= 2 || p.role === 'bias')).toBe(true);
  });

  it('ignores non-float and input-overridable initializers; shared tensors appear once', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['N', 2]);
    const w = b.constF32('w', [2, 2], [1, 0, 0, 1]);
    const scale = b.constF32('scale', [2], [2, 2]);
    const h = b.op('Mul', [b.op('MatMul', [b.op('MatMul', [x, w]), w]), scale]);
    const shape = b.constI64('shape', [-1, 2]);
    const over = b.initializer('over', Tensor.fromArray('float32', [2, 2], [1, 1, 1, 1]));
    b.graph.inputs.push(over);
    b.output(b.op('MatMul', [b.op('Reshape', [h, shape]), over]), { name: 'y' });
    const model = b.model();
    expect(trainableParams(model).map((p) => `${p.name}:${p.role}`)).toEqual(['w:weight', 'scale:operand']);
  });

  it('filters by include and exclude patterns', () => {
    const model = buildZooModel('lenet-300-100');
    expect(trainableParams(model, { exclude: /bias$/ }).map((p) => p.name)).toEqual(['fc1/weight', 'fc2/weight', 'fc3/weight']);
    expect(trainableParams(model, { include: /^fc3\//, exclude: /weight/ }).map((p) => p.name)).toEqual(['fc3/bias']);
  });
});

describe('zeroMasks', () => {
  it('masks exactly the zero weights of trainable tensors that have any', () => {
    const model = buildZooModel('lenet-300-100');
    const w = model.graph.requireValue('fc2/weight');
    const values = w.constant!.toFloat32();
    values[3] = 0;
    values[7] = 0;
    w.constant = Tensor.fromTyped('float32', w.constant!.dims, values);
    const masks = zeroMasks(model);
    expect([...masks.keys()]).toEqual(['fc2/weight']);
    const m = masks.get('fc2/weight')!;
    expect(m.length).toBe(values.length);
    expect(m.reduce((a, b) => a + b, 0)).toBe(values.length - 2);
    expect([m[3], m[7], m[0]]).toEqual([0, 0, 1]);
  });
});
