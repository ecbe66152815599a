import { describe, expect, it } from 'vitest';
import { expectGradOk, inp, ints, opCase } from '../helpers.js';

const X = inp('X', [2, 3, 4]);

describe('reduction gradient rules', () => {
  for (const op of ['ReduceSum', 'ReduceMean']) {
    const inputSince = op === 'ReduceSum' ? 13 : 18;
    it(`${op} with axes as an attribute (opset 11): axes, negative axes, keepdims, all axes`, async () => {
      for (const keepdims of [0, 1]) {
        await expectGradOk(opCase(op, [X], { axes: [1], keepdims }, { opset: 11 }));
        await expectGradOk(opCase(op, [X], { axes: [0, -1], keepdims }, { opset: 11 }));
        await expectGradOk(opCase(op, [X], { keepdims }, { opset: 11 }));
      }
    });

    it(`${op} with axes as an input (opset ${inputSince === 13 ? '13' : '18'}): axes, negative axes, keepdims, all axes, noop`, async () => {
      for (const keepdims of [0, 1]) {
        await expectGradOk(opCase(op, [X, ints('axes', [1])], { keepdims }, { opset: 18 }));
        await expectGradOk(opCase(op, [X, ints('axes', [-1, 0])], { keepdims }, { opset: 18 }));
        await expectGradOk(opCase(op, [X], { keepdims }, { opset: 18 }));
      }
      await expectGradOk(opCase(op, [X, ints('axes', [])], { noop_with_empty_axes: 1 }, { opset: 18 }));
    });

    it(`${op} over a symbolic batch (the count for the mean is computed at run time)`, async () => {
      const c = opCase(op, [inp('X', [5, 3], { shape: ['N', 3] })], { keepdims: 0 }, { opset: 18 });
      const r = await expectGradOk(c);
      if (op === 'ReduceMean') expect(r.gradient.model.graph.nodes.some((n) => n.opType === 'Size')).toBe(true);
    });
  }

  it('ReduceSum-13 at opset 13 and ReduceMean attribute form at opset 13', async () => {
    await expectGradOk(opCase('ReduceSum', [X, ints('axes', [2])], { keepdims: 0 }, { opset: 13 }));
    await expectGradOk(opCase('ReduceMean', [X], { axes: [2], keepdims: 0 }, { opset: 13 }));
  });
});
