import { describe, expect, it } from 'vitest';
import { broadcastAxes, buildGradientGraph } from '../../src/autodiff/index.js';
import { expectGradOk, inp, opCase } from './helpers.js';

describe('broadcastAxes', () => {
  it('finds leading and size-1 axes statically, symbolic batch dims included', () => {
    expect(broadcastAxes(['N', 8], [8])).toEqual({ lead: 1, ones: [] });
    expect(broadcastAxes([2, 3, 4], [3, 1])).toEqual({ lead: 1, ones: [2] });
    expect(broadcastAxes(['N', 'T', 8], ['N', 1, 8])).toEqual({ lead: 0, ones: [1] });
    expect(broadcastAxes(['N', 8], [])).toEqual({ lead: 2, ones: [] });
    expect(broadcastAxes([1, 8], [1, 8])).toEqual({ lead: 0, ones: [] });
    expect(broadcastAxes(['N', 8], ['N', 8])).toEqual({ lead: 0, ones: [] });
  });

  it('leaves undecidable cases to the run-time form', () => {
    expect(broadcastAxes(['N', 8], ['M', 8])).toBeUndefined();
    expect(broadcastAxes([4, 8], [null, 8])).toBeUndefined();
    expect(broadcastAxes(undefined, [8])).toBeUndefined();
    expect(broadcastAxes([8], [2, 8])).toBeUndefined();
  });
});

describe('unbroadcast in gradient graphs', () => {
  const loss = (c: ReturnType<typeof opCase>) => c.model.graph.outputs[0]!.name;

  it('uses one static ReduceSum for a bias [C] on [N, C] (no shape ops)', () => {
    const c = opCase('Add', [inp('X', [4, 3], { shape: ['N', 3] }), inp('b', [3], { init: true })]);
    const g = buildGradientGraph(c.model, { loss: loss(c), wrt: ['b'] });
    const ops = g.model.graph.nodes.filter((n) => n.name.startsWith('grad/')).map((n) => n.opType);
    expect(ops.filter((o) => o === 'ReduceSum')).toHaveLength(1);
    expect(ops).not.toContain('NonZero');
  });

  it('keeps size-1 axes with keepdims and squeezes the leading ones ([2, 3, 4] onto [3, 1])', async () => {
    const c = opCase('Mul', [inp('X', [2, 3, 4]), inp('b', [3, 1])]);
    const r = await expectGradOk(c);
    expect(r.gradient.model.graph.nodes.some((n) => n.opType === 'Squeeze')).toBe(true);
  });

  it('computes the axes at run time when a symbolic dim may be 1 (opset 13+), for either operand', async () => {
    for (const [sa, sb] of [[['N', 3], ['M', 3]], [['M', 3], ['N', 3]]] as const) {
      for (const [da, db] of [[[4, 3], [1, 3]], [[1, 3], [4, 3]], [[4, 3], [4, 3]]]) {
        const c = opCase('Sub', [inp('A', da!, { shape: [...sa] }), inp('B', db!, { shape: [...sb] })]);
        const r = await expectGradOk(c);
        expect(r.gradient.model.graph.nodes.some((n) => n.opType === 'NonZero')).toBe(true);
      }
    }
  });

  it('fails loudly below opset 13 when the axes are only known at run time', () => {
    const c = opCase('Add', [inp('A', [4, 3], { shape: ['N', 3] }), inp('B', [1, 3], { shape: ['M', 3] })], {}, { opset: 11 });
    expect(() => buildGradientGraph(c.model, { loss: loss(c), wrt: ['B'] }))
      .toThrow(/node 'Add' \(ai\.onnx Add, opset 11\): cannot tell statically how 'B' \[M, 3\] was broadcast to \[\?, 3\].*needs opset 13\+/);
  });
});
