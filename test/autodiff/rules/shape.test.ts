import { describe, expect, it } from 'vitest';
import { buildGradientGraph } from '../../../src/autodiff/index.js';
import { createSession } from '../../../src/runtime/index.js';
import { expectGradOk, inp, ints, opCase } from '../helpers.js';

const X = inp('X', [2, 3, 4]);

describe('shape gradient rules', () => {
  it('Identity and Cast (float32 ↔ float64)', async () => {
    await expectGradOk(opCase('Identity', [X]));
    // float64 → float32: the forward output only has float32 precision, so float32 tolerances apply.
    await expectGradOk(opCase('Cast', [X], { to: 1 }), { epsilon: 1e-3, rtol: 2e-2, atol: 1e-3 });
    await expectGradOk(opCase('Cast', [inp('X', [2, 3], { dtype: 'float32' })], { to: 11 }));
  });

  it('Flatten (axis 0, 1, 2) and Reshape (with −1, and onto a symbolic batch)', async () => {
    for (const axis of [0, 1, 2]) await expectGradOk(opCase('Flatten', [X], { axis }));
    await expectGradOk(opCase('Reshape', [X, ints('shape', [-1, 4])]));
    await expectGradOk(opCase('Reshape', [inp('X', [2, 3, 4], { shape: ['N', 3, 4] }), ints('shape', [0, -1])]));
  });

  it('Squeeze and Unsqueeze: attribute form at opset 11, input form at opset 13', async () => {
    const s = inp('X', [2, 1, 4]);
    await expectGradOk(opCase('Squeeze', [s], { axes: [1] }, { opset: 11 }));
    await expectGradOk(opCase('Squeeze', [s, ints('axes', [-2])], {}, { opset: 13 }));
    await expectGradOk(opCase('Unsqueeze', [X], { axes: [0, 3] }, { opset: 11 }));
    await expectGradOk(opCase('Unsqueeze', [X, ints('axes', [-1, 1])], {}, { opset: 13 }));
  });

  it('Transpose with a permutation and with the default (reversed) one', async () => {
    await expectGradOk(opCase('Transpose', [X], { perm: [1, 2, 0] }));
    await expectGradOk(opCase('Transpose', [X]));
  });

  it('Expand sums the copies (new leading axes and size-1 axes)', async () => {
    await expectGradOk(opCase('Expand', [inp('X', [3, 1]), ints('shape', [2, 3, 4])]));
    await expectGradOk(opCase('Expand', [inp('X', [2, 3]), ints('shape', [1, 3])]));
  });

  it('Tile with constant repeats and with repeats fed at run time', async () => {
    await expectGradOk(opCase('Tile', [inp('X', [2, 3]), ints('repeats', [2, 3])]));
    const rep = { name: 'repeats', dims: [3], dtype: 'int64' as const, data: [1, 2, 2] };
    await expectGradOk(opCase('Tile', [inp('X', [2, 3, 2], { shape: ['N', 3, 2] }), rep]));
  });

  it('Dropout in inference mode is the identity (opset 10 and opset 13 without training_mode)', async () => {
    await expectGradOk(opCase('Dropout', [X], { ratio: 0.5 }, { opset: 10 }));
    await expectGradOk(opCase('Dropout', [X], {}, { opset: 13 }));
  });

  it('Dropout in training mode: dX = dY·mask/(1−ratio), with the mask output added to the forward node', async () => {
    const c = opCase((b, [x, r, t]) => b.op('Dropout', [x!, r!, t!], { seed: 3 }),
      [inp('X', [4, 8]), inp('ratio', [], { data: [0.25], init: true, fixed: true }), { name: 'training', dims: [], dtype: 'bool', data: [1], init: true }]);
    const g = buildGradientGraph(c.model, { loss: c.model.graph.outputs[0]!.name, wrt: ['X'], seed: 'input' });
    const mask = g.model.graph.nodes.find((n) => n.opType === 'Dropout')!.output(1)!;
    g.model.graph.outputs.push(mask);
    const s = await createSession(g.model);
    const dy = Float64Array.from({ length: 32 }, (_, i) => i + 1);
    const out = await s.run({ X: c.feeds.X!, [g.seeds[0]!]: { dtype: 'float64', dims: [4, 8], data: dy } });
    await s.release();
    const m = out[mask.name]!.data as Uint8Array;
    const dx = out['grad/X']!.data as Float64Array;
    expect(m.some((v) => v === 0) && m.some((v) => v === 1)).toBe(true);
    for (let i = 0; i < 32; i++) expect(dx[i]).toBeCloseTo(m[i] ? dy[i]! / 0.75 : 0, 12);
  });
});
