import { describe, it } from 'vitest';
import { expectGradOk, inp, opCase } from '../helpers.js';

describe('activation gradient rules', () => {
  it('Relu (inputs kept off the kink at 0)', async () => {
    await expectGradOk(opCase('Relu', [inp('X', [3, 4], { away: 0.05 })]));
  });

  it('LeakyRelu with default and explicit alpha', async () => {
    await expectGradOk(opCase('LeakyRelu', [inp('X', [3, 4], { away: 0.05 })]));
    await expectGradOk(opCase('LeakyRelu', [inp('X', [3, 4], { away: 0.05 })], { alpha: 0.2 }));
  });

  it('Sigmoid and Tanh', async () => {
    await expectGradOk(opCase('Sigmoid', [inp('X', [3, 4])]));
    await expectGradOk(opCase('Tanh', [inp('X', [3, 4])]));
  });

  it('Clip-13 with min and max inputs, with only max, and with none', async () => {
    const x = inp('X', [3, 4], { range: [-3, 3] });
    const lo = inp('lo', [], { data: [-1.05], fixed: true });
    const hi = inp('hi', [], { data: [0.95], fixed: true });
    await expectGradOk(opCase('Clip', [x, lo, hi], {}, { opset: 13 }));
    await expectGradOk(opCase((b, [v, h]) => b.op('Clip', [v!, null, h!]), [x, hi], {}, { opset: 13 }));
    await expectGradOk(opCase('Clip', [x], {}, { opset: 13 }));
  });

  it('Clip-6 with min/max attributes (float32: no float64 kernel), in an opset-9 model', async () => {
    await expectGradOk(opCase('Clip', [inp('X', [3, 4], { range: [-3, 3] })], { min: -1.05, max: 0.95 }, { opset: 9, dtype: 'float32' }));
    await expectGradOk(opCase('Clip', [inp('X', [3, 4], { range: [-3, 3] })], { min: -0.55 }, { opset: 10, dtype: 'float32' }));
  });

  it('Erf (float32 only in onnxruntime)', async () => {
    await expectGradOk(opCase('Erf', [inp('X', [3, 4])], {}, { dtype: 'float32' }));
  });

  it('Gelu-20, exact and tanh approximation (float32)', async () => {
    await expectGradOk(opCase('Gelu', [inp('X', [3, 4], { range: [-3, 3] })], {}, { opset: 20, dtype: 'float32' }));
    await expectGradOk(opCase('Gelu', [inp('X', [3, 4], { range: [-3, 3] })], { approximate: 'tanh' }, { opset: 20, dtype: 'float32' }));
  });

  it('com.microsoft Gelu and FastGelu (with bias)', async () => {
    await expectGradOk(opCase('Gelu', [inp('X', [3, 4], { range: [-3, 3] })], {}, { domain: 'com.microsoft', dtype: 'float32' }));
    await expectGradOk(opCase('FastGelu', [inp('X', [3, 4], { range: [-3, 3] }), inp('bias', [4])], {}, { domain: 'com.microsoft', dtype: 'float32' }));
  });
});
