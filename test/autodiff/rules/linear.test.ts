import { describe, expect, it } from 'vitest';
import { expectGradOk, inp, opCase } from '../helpers.js';

describe('MatMul gradient rule', () => {
  const cases: [string, number[], number[]][] = [
    ['2-D × 2-D', [3, 4], [4, 5]],
    ['batched × 2-D weight [2,3,4,5]×[5,6] (flattened dB)', [2, 3, 4, 5], [5, 6]],
    ['2-D × batched [4,5]×[2,5,6] (dA summed over the batch)', [4, 5], [2, 5, 6]],
    ['batch broadcast both ways [2,1,4,5]×[3,5,6]', [2, 1, 4, 5], [3, 5, 6]],
    ['1-D × 2-D', [5], [5, 6]],
    ['batched × 1-D', [2, 4, 5], [5]],
    ['1-D × batched', [5], [2, 5, 3]],
    ['1-D × 1-D (dot product)', [5], [5]],
  ];
  for (const [title, a, b] of cases) {
    it(title, async () => {
      await expectGradOk(opCase('MatMul', [inp('A', a), inp('B', b)]));
    });
  }

  it('symbolic batch: [N, T, 5] × [5, 6] weight initializer', async () => {
    await expectGradOk(opCase('MatMul', [inp('A', [2, 3, 5], { shape: ['N', 'T', 5] }), inp('W', [5, 6], { init: true })]));
  });

  it('without contrib ops (Transpose + MatMul) and in float32 (FusedMatMul)', async () => {
    const c = opCase('MatMul', [inp('A', [2, 3, 4]), inp('B', [2, 4, 5])]);
    const r = await expectGradOk(c, { gradient: { contribOps: false } });
    expect(r.gradient.model.graph.nodes.some((n) => n.opType === 'FusedMatMul')).toBe(false);
    const f = opCase('MatMul', [inp('A', [2, 3, 4]), inp('B', [2, 4, 5])], {}, { dtype: 'float32' });
    const r32 = await expectGradOk(f);
    expect(r32.gradient.model.graph.nodes.some((n) => n.opType === 'FusedMatMul')).toBe(true);
    expect(r32.gradient.model.opsets.get('com.microsoft')).toBe(1);
  });
});

describe('Gemm gradient rule', () => {
  for (const transA of [0, 1]) {
    for (const transB of [0, 1]) {
      it(`transA=${transA} transB=${transB}, alpha and beta, C [N]`, async () => {
        const a = transA ? [4, 3] : [3, 4];
        const b = transB ? [5, 4] : [4, 5];
        await expectGradOk(opCase('Gemm', [inp('A', a), inp('B', b), inp('C', [5])], { transA, transB, alpha: 0.7, beta: 1.3 }));
      });
    }
  }

  it('C shapes: [M, N], [M, 1], [1, N], scalar; and no C', async () => {
    for (const c of [[3, 5], [3, 1], [1, 5], []]) {
      await expectGradOk(opCase('Gemm', [inp('A', [3, 4]), inp('B', [5, 4]), inp('C', c)], { transB: 1 }));
    }
    await expectGradOk(opCase('Gemm', [inp('A', [3, 4]), inp('B', [4, 5])]));
  });

  it('symbolic batch with a [C] bias (the Linear layer), at opsets 9 and 17', async () => {
    for (const opset of [9, 17]) {
      await expectGradOk(opCase('Gemm', [inp('X', [6, 4], { shape: ['N', 4] }), inp('W', [5, 4], { init: true }), inp('b', [5], { init: true })],
        { transB: 1 }, { opset }));
    }
  });
});
