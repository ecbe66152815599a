import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { loadModel } from '../../src/onnx/index.js';
import { analyzeTargets, findTargets, inputView, rowView, matrixView } from '../../src/prune/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { lstmModel, mixedModel } from './helpers.js';

describe('findTargets', () => {
  it('finds the Gemm weights of LeNet-300-100 with [out, in] axes (transB=1)', () => {
    const t = findTargets(buildZooModel('lenet-300-100'));
    expect(t.map((x) => [x.name, x.opType, x.inputAxis, x.outputAxis, x.size])).toEqual([
      ['fc1/weight', 'Gemm', 1, 0, 235200], ['fc2/weight', 'Gemm', 1, 0, 30000], ['fc3/weight', 'Gemm', 1, 0, 1000],
    ]);
  });

  it('decides layouts from the graph: grouped Conv, Gemm transB=0, shared MatMul B via Identity, MatMul A, Constant node', () => {
    const { targets, skipped } = analyzeTargets(mixedModel());
    expect(skipped).toEqual([]);
    const by = new Map(targets.map((t) => [t.name, t]));
    expect([...by.keys()]).toEqual(['W_conv', 'B_gemm', 'C_shared', 'A_left', 'k_const']);
    expect(by.get('W_conv')).toMatchObject({ opType: 'Conv', inputAxis: 1, outputAxis: 0, kernelAxes: [2, 3], groups: 2 });
    expect(by.get('B_gemm')).toMatchObject({ opType: 'Gemm', inputAxis: 0, outputAxis: 1 });
    expect(by.get('C_shared')).toMatchObject({ opType: 'MatMul', nodes: ['mm1', 'mm2'], inputAxis: 0, outputAxis: 1 });
    expect(by.get('A_left')).toMatchObject({ inputAxis: 1, outputAxis: 0, uses: [{ node: 'mm_left', slot: 0, activation: { slot: 1, featureAxis: -2 } }] });
    expect(by.get('k_const')).toMatchObject({ storage: 'constant', inputAxis: 1, outputAxis: 0, shape: [2, 3] });
  });

  it('passes over a weight read with two different layouts, saying why', () => {
    const b = new GraphBuilder('clash');
    const x = b.input('x', 'float32', ['N', 4]);
    const w = b.constF32('W', [4, 4], new Float32Array(16).fill(1));
    const y = b.op('MatMul', [b.op('Gemm', [x, w], { transB: 1 }, { name: 'g' }), w], {}, { name: 'm' });
    b.output(y, { name: 'y', dtype: 'float32' });
    const { targets, skipped } = analyzeTargets(b.model());
    expect(targets).toEqual([]);
    expect(skipped).toEqual([{ name: 'W', node: 'g', reason: "read with different layouts by 'g' (Gemm) and 'm' (MatMul)" }]);
  });

  it('takes LSTM W and R (inputs 1 and 2); R has no measurable activation', () => {
    const t = findTargets(lstmModel());
    expect(t.map((x) => [x.name, x.inputAxis, x.outputAxis])).toEqual([['W', 2, 1], ['R', 2, 1]]);
    expect(t[1]!.uses[0]!.activation).toBeUndefined();
  });

  it('handles PyTorch exports: a Constant-node weight and pre-transposed MatMul weights', async () => {
    const conv = findTargets(await loadModel('fixtures/pytorch/convnet_constant.onnx'));
    expect(conv.map((t) => [t.name, t.storage])).toEqual([['conv.weight', 'initializer'], ['fc.weight', 'constant']]);
    const tr = findTargets(await loadModel('fixtures/pytorch/transformer_layer.onnx'));
    expect(tr.filter((t) => t.opType === 'MatMul').every((t) => t.inputAxis === 0 && t.outputAxis === 1)).toBe(true);
    expect(tr).toHaveLength(4);
  });
});

describe('views', () => {
  it('rowView transposes a Gemm transB=0 weight to [out, in] and keeps a Conv in C order', () => {
    const v = rowView({ shape: [3, 2], inputAxis: 0, kernelAxes: [] });
    const flat = (r: number, c: number): number => v.rowOffset[r]! + v.colOffset[c]!;
    expect([v.rows, v.cols]).toEqual([2, 3]);
    expect([flat(0, 0), flat(0, 1), flat(1, 2)]).toEqual([0, 2, 5]);
    const conv = rowView({ shape: [4, 2, 3, 3], inputAxis: 1, kernelAxes: [2, 3] });
    expect([conv.rows, conv.cols, conv.rowOffset[1], conv.colOffset[17]]).toEqual([4, 18, 18, 17]);
  });

  it('inputView makes the input axis the columns (N:M groups run along it)', () => {
    const v = inputView({ shape: [4, 2, 3, 3], inputAxis: 1 });
    expect([v.rows, v.cols, v.colOffset[1]]).toEqual([36, 2, 9]);
    expect(() => matrixView([2, 2], [2])).toThrow(RangeError);
  });
});
