import { describe, it } from 'vitest';
import { expectGradOk, inp, opCase } from '../helpers.js';

const scores = inp('S', [4, 3], { range: [-3, 3] });
const labels = { name: 'L', dims: [4], dtype: 'int64' as const, data: [2, 0, 1, 2] };

describe('SoftmaxCrossEntropyLoss gradient rule', () => {
  for (const reduction of ['mean', 'sum', 'none']) {
    it(`reduction '${reduction}', with and without class weights`, async () => {
      await expectGradOk(opCase('SoftmaxCrossEntropyLoss', [scores, labels], { reduction }, { out: [reduction === 'none' ? [4] : []] }));
      const w = inp('W', [3], { data: [0.5, 2, 1.5], fixed: true });
      await expectGradOk(opCase('SoftmaxCrossEntropyLoss', [scores, labels, w], { reduction }, { out: [reduction === 'none' ? [4] : []] }));
    });
  }

  it('ignore_index (also with weights), and [N, C, d] scores', async () => {
    const withIgnored = { ...labels, data: [2, -1, 1, -1] };
    await expectGradOk(opCase('SoftmaxCrossEntropyLoss', [scores, withIgnored], { ignore_index: -1 }, { out: [[]] }));
    await expectGradOk(opCase('SoftmaxCrossEntropyLoss', [scores, withIgnored, inp('W', [3], { data: [0.5, 2, 1.5], fixed: true })], { ignore_index: -1 }, { out: [[]] }));
    const spatial = { name: 'L', dims: [2, 2], dtype: 'int64' as const, data: [0, 2, 1, 1] };
    await expectGradOk(opCase('SoftmaxCrossEntropyLoss', [inp('S', [2, 3, 2]), spatial], {}, { out: [[]] }));
  });

  it('gradients through both outputs (loss and log_prob)', async () => {
    await expectGradOk(opCase('SoftmaxCrossEntropyLoss', [scores, labels], {}, { outputs: 2, out: [[], [4, 3]] }));
  });
});
