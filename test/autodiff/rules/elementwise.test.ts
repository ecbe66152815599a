import { describe, it } from 'vitest';
import { expectGradOk, inp, opCase } from '../helpers.js';

describe('elementwise gradient rules', () => {
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    describe(op, () => {
      const denom = op === 'Div' ? { away: 0.5 } : {};
      it('same shapes', async () => {
        await expectGradOk(opCase(op, [inp('A', [2, 3]), inp('B', [2, 3], denom)]));
      });
      it('bias [C] broadcast over a symbolic batch [N, C]', async () => {
        await expectGradOk(opCase(op, [inp('A', [4, 3], { shape: ['N', 3] }), inp('B', [3], denom)]));
      });
      it('size-1 axes and leading axes both ways: [2, 1, 4] with [3, 1]', async () => {
        await expectGradOk(opCase(op, [inp('A', [2, 1, 4]), inp('B', [3, 1], denom)]));
      });
      it('scalar operand on either side', async () => {
        await expectGradOk(opCase(op, [inp('A', [], denom), inp('B', [2, 3], denom)]));
      });
      it('run-time broadcast axes when a dim is symbolic and may be 1', async () => {
        await expectGradOk(opCase(op, [inp('A', [4, 3], { shape: ['N', 3] }), inp('B', [1, 3], { shape: ['M', 3], ...denom })]));
      });
    });
  }

  it('Sum and Mean (three inputs, broadcast; Mean has only a float32 kernel)', async () => {
    await expectGradOk(opCase('Sum', [inp('A', [2, 3]), inp('B', [3]), inp('C', [2, 1])]));
    await expectGradOk(opCase('Mean', [inp('A', [2, 3]), inp('B', [3]), inp('C', [2, 1])], {}, { dtype: 'float32' }));
  });

  it('Neg, Exp, Sqrt, Log, Abs', async () => {
    await expectGradOk(opCase('Neg', [inp('X', [2, 3])]));
    await expectGradOk(opCase('Exp', [inp('X', [2, 3])]));
    await expectGradOk(opCase('Sqrt', [inp('X', [2, 3], { range: [0.2, 3] })]));
    await expectGradOk(opCase('Log', [inp('X', [2, 3], { range: [0.2, 3] })]));
    await expectGradOk(opCase('Abs', [inp('X', [2, 3], { away: 0.1 })]));
  });

  it('Pow: the base gets e·a^(e−1); the exponent (float or int64) is stop-gradient', async () => {
    await expectGradOk(opCase('Pow', [inp('A', [2, 3], { range: [0.5, 2] }), inp('E', [3], { range: [-1.5, 2.5], fixed: true })]));
    await expectGradOk(opCase('Pow', [inp('A', [2, 3]), inp('E', [], { dtype: 'int64', data: [3] })]));
  });

  it('Max and Min route dY to the selected input (with broadcast)', async () => {
    await expectGradOk(opCase('Max', [inp('A', [2, 3]), inp('B', [3], { data: [-0.3, 0.45, 1.1] })]));
    await expectGradOk(opCase('Min', [inp('A', [2, 3]), inp('B', [3], { data: [-0.3, 0.45, 1.1] })]));
    await expectGradOk(opCase('Max', [inp('A', [2, 3])]));
  });

  it('Where: the condition is stop-gradient; x and z are un-broadcast', async () => {
    const cond = inp('C', [2, 3], { dtype: 'bool', data: [1, 0, 1, 1, 0, 0] });
    await expectGradOk(opCase('Where', [cond, inp('X', [2, 3]), inp('Z', [3])]));
    await expectGradOk(opCase('Where', [cond, inp('X', []), inp('Z', [2, 1])]));
  });
});
