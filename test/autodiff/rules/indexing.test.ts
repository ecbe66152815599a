import { describe, expect, it } from 'vitest';
import { expectGradOk, inp, ints, opCase } from '../helpers.js';

const X = inp('X', [3, 4, 5]);

describe('Concat and Split gradient rules', () => {
  it('Concat with static sizes (opsets 11 and 17), negative axis', async () => {
    await expectGradOk(opCase('Concat', [inp('A', [2, 3]), inp('B', [2, 1]), inp('C', [2, 2])], { axis: 1 }, { opset: 11 }));
    await expectGradOk(opCase('Concat', [inp('A', [2, 3]), inp('B', [4, 3])], { axis: -2 }));
  });

  it('Concat with sizes known only at run time (Split by computed sizes)', async () => {
    await expectGradOk(opCase('Concat', [inp('A', [2, 3], { shape: ['N', 3] }), inp('B', [3, 3], { shape: ['M', 3] })], { axis: 0 }, { opset: 13 }));
  });

  it('Split: attribute sizes (opset 11), input sizes (13), num_outputs (18), even split', async () => {
    await expectGradOk(opCase('Split', [X], { axis: 1, split: [1, 3] }, { opset: 11, outputs: 2 }));
    await expectGradOk(opCase('Split', [X, ints('split', [2, 3])], { axis: -1 }, { opset: 13, outputs: 2 }));
    await expectGradOk(opCase('Split', [X], { axis: 1, num_outputs: 2 }, { opset: 18, outputs: 2 }));
    await expectGradOk(opCase('Split', [X], {}, { opset: 13, outputs: 3 }));
  });

  it('Split where only one output reaches the loss (zeros for the others)', async () => {
    const c = opCase((b, [x]) => b.opN('Split', [x!], 2, { axis: 1, split: [1, 3] })[1]!, [X], {}, { opset: 11 });
    const r = await expectGradOk(c);
    expect(r.gradient.model.graph.nodes.some((n) => n.opType === 'ConstantOfShape')).toBe(true);
  });
});

describe('Slice and Pad gradient rules', () => {
  it('Slice with constant parameters: Pad back (attributes at opset 9, inputs at 13, negative and clamped bounds)', async () => {
    await expectGradOk(opCase('Slice', [X], { starts: [1, 0], ends: [3, 2], axes: [0, 2] }, { opset: 9 }));
    await expectGradOk(opCase('Slice', [X, ints('starts', [-3, 1]), ints('ends', [1000, -1]), ints('axes', [-1, 1])], {}, { opset: 13 }));
    const r = await expectGradOk(opCase('Slice', [X, ints('starts', [1]), ints('ends', [3])], {}, { opset: 13 }));
    expect(r.gradient.model.graph.nodes.some((n) => n.opType === 'Pad')).toBe(true);
  });

  it('Slice with steps (2 and −1) and with run-time starts: scatter onto sliced indices', async () => {
    await expectGradOk(opCase('Slice', [X, ints('starts', [0, 4]), ints('ends', [3, 0]), ints('axes', [1, 2]), ints('steps', [2, -1])], {}, { opset: 13 }));
    const starts = { name: 'starts', dims: [1], dtype: 'int64' as const, data: [1] };
    const r = await expectGradOk(opCase('Slice', [X, starts, ints('ends', [3]), ints('axes', [1])], {}, { opset: 13 }));
    expect(r.gradient.model.graph.nodes.some((n) => n.opType === 'ScatterElements')).toBe(true);
  });

  it('Pad (constant mode): attribute pads at opset 10, input pads at 13, negative pads, axes at 18', async () => {
    await expectGradOk(opCase('Pad', [X], { pads: [0, 1, 2, 1, 0, 1] }, { opset: 10 }));
    await expectGradOk(opCase('Pad', [X, ints('pads', [1, 0, -1, 0, 2, -2])], {}, { opset: 13 }));
    await expectGradOk(opCase('Pad', [X, ints('pads', [1, 2, 0, 1]), inp('value', [], { data: [0.5], fixed: true }), ints('axes', [0, -1])], {}, { opset: 18 }));
  });

  it('Pad with pads fed at run time (Neg of the pads)', async () => {
    const pads = { name: 'pads', dims: [6], dtype: 'int64' as const, data: [0, 1, 1, 1, 0, 2] };
    await expectGradOk(opCase('Pad', [X, pads], {}, { opset: 13 }));
  });
});

describe('Gather and GatherElements gradient rules', () => {
  const idx = (data: number[], dims: number[] = [data.length]) => ({ name: 'I', dims, dtype: 'int64' as const, data });
  for (const opset of [13, 17]) {
    const how = opset < 16 ? 'one-hot product' : 'ScatterND add';
    it(`Gather axis 0 with repeated and negative indices (${how})`, async () => {
      await expectGradOk(opCase('Gather', [inp('X', [5, 3]), idx([0, 4, -1, 2, 0])], {}, { opset }));
    });
    it(`Gather on a middle axis with 2-D indices, and a scalar index (${how})`, async () => {
      await expectGradOk(opCase('Gather', [X, idx([3, 0, 3, -2], [2, 2])], { axis: 1 }, { opset }));
      await expectGradOk(opCase('Gather', [X, idx([2], [])], { axis: -1 }, { opset }));
    });
  }

  it('Gather with int32 indices (an embedding lookup)', async () => {
    const i32 = { name: 'I', dims: [2, 3], dtype: 'int32' as const, data: [1, 1, 0, 4, 2, 1] };
    await expectGradOk(opCase('Gather', [inp('E', [5, 4], { init: true }), i32], {}, { opset: 17 }));
  });

  it('GatherElements (opset 16+: ScatterElements add)', async () => {
    await expectGradOk(opCase('GatherElements', [inp('X', [3, 4]), idx([0, 3, 3, 1, 2, 2], [3, 2])], { axis: 1 }, { opset: 17 }));
  });
});
