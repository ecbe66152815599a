import { describe, expect, it } from 'vitest';
import { expectGradOk, inp, opCase } from '../helpers.js';

describe('Softmax and LogSoftmax gradient rules', () => {
  for (const op of ['Softmax', 'LogSoftmax']) {
    it(`${op} at opset 13: one axis (default −1, 1, −2)`, async () => {
      await expectGradOk(opCase(op, [inp('X', [2, 3, 4])], {}, { opset: 13 }));
      await expectGradOk(opCase(op, [inp('X', [2, 3, 4])], { axis: 1 }, { opset: 13 }));
      await expectGradOk(opCase(op, [inp('X', [2, 3, 4])], { axis: -2 }, { opset: 13 }));
    });

    it(`${op} at opset 11: coerced to 2-D at axis (default 1, 2, −1)`, async () => {
      await expectGradOk(opCase(op, [inp('X', [2, 3, 4])], {}, { opset: 11 }));
      await expectGradOk(opCase(op, [inp('X', [2, 3, 4])], { axis: 2 }, { opset: 11 }));
      await expectGradOk(opCase(op, [inp('X', [2, 3, 4])], { axis: -1 }, { opset: 11 }));
    });

    it(`${op} at opset 11 with an input of unknown rank (flattened to 2-D around the rule)`, async () => {
      const c = opCase((b, [x]) => b.op('Reshape', [b.op(op, [x!], { axis: 1 }), b.constI64('shape', [2, 3, 4])]),
        [inp('X', [2, 3, 4])], {}, { opset: 11 });
      c.model.graph.inputs[0]!.shape = undefined;
      const r = await expectGradOk(c);
      expect(r.gradient.model.graph.nodes.filter((n) => n.opType === 'Flatten').length).toBe(2);
    });
  }
});
