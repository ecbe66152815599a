import { describe, expect, it } from 'vitest';
import { buildGradientGraph, type GradRule } from '../../src/autodiff/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { verify } from '../../src/ir/passes.js';
import { Tensor } from '../../src/ir/tensor.js';
import { encodeModel } from '../../src/onnx/index.js';
import { createSession } from '../../src/runtime/index.js';
import { expectGradOk, inp, opCase } from './helpers.js';

/** x ['N', 4] → Gemm(W [3, 4], b [3], transB) → Tanh → ReduceSum → loss (float64). */
function linearTanh(extra?: (b: GraphBuilder, h: ReturnType<GraphBuilder['op']>) => ReturnType<GraphBuilder['op']>) {
  const b = new GraphBuilder('lin');
  const x = b.input('x', 'float64', ['N', 4]);
  const w = b.graph.addInitializer('fc.weight', Tensor.fromArray('float64', [3, 4], Array.from({ length: 12 }, (_, i) => Math.sin(i))));
  const bias = b.graph.addInitializer('fc.bias', Tensor.fromArray('float64', [3], [0.1, -0.2, 0.3]));
  let h = b.scope('fc', () => b.op('Gemm', [x, w, bias], { transB: 1 }));
  h = b.op('Tanh', [h]);
  if (extra) h = extra(b, h);
  b.output(b.op('ReduceSum', [h], { keepdims: 0 }), { name: 'loss' });
  return b.model(17);
}

describe('buildGradientGraph', () => {
  it('turns parameters into inputs, names outputs grad/<param>, keeps the model valid and the source untouched', () => {
    const m = linearTanh();
    const before = encodeModel(m);
    const g = buildGradientGraph(m, { loss: 'loss', wrt: ['fc.weight', 'fc.bias'] });
    expect(encodeModel(m)).toEqual(before);
    const graph = g.model.graph;
    expect(graph.inputs.map((v) => v.name)).toEqual(['x', 'fc.weight', 'fc.bias']);
    expect(graph.initializers.some((v) => v.name === 'fc.weight')).toBe(false);
    expect(graph.outputs.map((v) => v.name)).toEqual(['loss', 'grad/fc.weight', 'grad/fc.bias']);
    expect(graph.requireValue('grad/fc.weight').shape).toEqual([3, 4]);
    expect(g.params.map((p) => [p.name, p.grad, p.initial?.dims])).toEqual([['fc.weight', 'grad/fc.weight', [3, 4]], ['fc.bias', 'grad/fc.bias', [3]]]);
    expect(verify(g.model)).toEqual([]);
    expect(graph.nodes.filter((n) => n.name.startsWith('grad/fc/Gemm/')).map((n) => n.opType).sort()).toEqual(['Gemm', 'ReduceSum']);
    expect(g.saved).toContain('x');
    expect(g.constant).toEqual([]);
  });

  it('is deterministic: the same inputs give byte-identical models', () => {
    const a = encodeModel(buildGradientGraph(linearTanh(), { loss: 'loss', wrt: ['fc.weight', 'fc.bias'] }).model);
    const b = encodeModel(buildGradientGraph(linearTanh(), { loss: 'loss', wrt: ['fc.weight', 'fc.bias'] }).model);
    expect(a).toEqual(b);
  });

  it('runs as one session: loss and gradients agree with finite differences', async () => {
    const m = linearTanh();
    const r = await expectGradOk({ model: m, feeds: {}, wrt: ['fc.weight', 'fc.bias'] },
      { feeds: { x: { dtype: 'float64', dims: [5, 4], data: Float64Array.from({ length: 20 }, (_, i) => Math.cos(i)) } } });
    expect(r.gradient.model.graph.inputs.map((v) => v.name)).toContain('seed/loss');
  });

  it('sums the gradients of a value used twice (Add) and three times (Sum)', async () => {
    const twice = opCase((b, [x]) => b.op('Mul', [b.op('Tanh', [x!]), x!]), [inp('X', [2, 3])]);
    const r2 = await expectGradOk(twice);
    expect(r2.gradient.model.graph.nodes.some((n) => n.name === 'grad/X/accumulate' && n.opType === 'Add')).toBe(true);
    const thrice = opCase((b, [x]) => b.op('Add', [b.op('Mul', [x!, x!]), b.op('Sigmoid', [x!])]), [inp('X', [2, 3])]);
    const r3 = await expectGradOk(thrice);
    expect(r3.gradient.model.graph.nodes.some((n) => n.name === 'grad/X/accumulate' && n.opType === 'Sum')).toBe(true);
  });

  it('stops gradients at shapes, indices and comparisons (no rules needed for Shape, ArgMax, Greater, Cast to int)', async () => {
    const c = opCase((b, [x, w]) => {
      const h = b.op('MatMul', [x!, w!]);
      const flat = b.op('Reshape', [h, b.op('Shape', [x!])]);
      const pick = b.op('ArgMax', [w!], { axis: 0, keepdims: 0 });
      const gathered = b.op('Gather', [flat, pick], { axis: 1 });
      const gate = b.op('Cast', [b.op('Greater', [gathered, b.scalar(0, 'float64')])], { to: 11 });
      return b.op('Mul', [gathered, gate]);
    }, [inp('X', [3, 3]), inp('W', [3, 3], { init: true })]);
    const r = await expectGradOk(c);
    const types = r.gradient.model.graph.nodes.filter((n) => n.name.startsWith('grad/')).map((n) => n.opType);
    expect(types).not.toContain('ArgMax');
  });

  it('gives zeros for a parameter the loss does not depend on', async () => {
    const c = opCase((b, [x]) => b.op('Tanh', [x!]), [inp('X', [2, 3]), inp('U', [4], { init: true })]);
    const g = buildGradientGraph(c.model, { loss: c.model.graph.outputs[0]!.name, wrt: ['X', 'U'] });
    expect(g.constant).toEqual(['U']);
    const s = await createSession(g.model);
    const out = await s.run({ X: c.feeds.X!, U: { dtype: 'float64', dims: [4], data: new Float64Array(4).fill(1) } });
    await s.release();
    expect(Array.from(out['grad/U']!.data as Float64Array)).toEqual([0, 0, 0, 0]);
  });

  it('differentiates a non-scalar loss as its sum (seed: ones) and drops other outputs when asked', async () => {
    const c = opCase('Mul', [inp('A', [2, 3]), inp('B', [3], { init: true })]);
    const name = c.model.graph.outputs[0]!.name;
    const g = buildGradientGraph(c.model, { loss: name, wrt: ['B'], keepOutputs: false });
    expect(g.model.graph.outputs.map((v) => v.name)).toEqual([name, 'grad/B']);
    const s = await createSession(g.model);
    const out = await s.run({ A: c.feeds.A!, B: { dtype: 'float64', dims: [3], data: Float64Array.from([1, 2, 3]) } });
    await s.release();
    const a = c.feeds.A!.data as Float64Array;
    const want = [0, 1, 2].map((j) => a[j]! + a[3 + j]!);
    Array.from(out['grad/B']!.data as Float64Array).forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 12));
  });

  it('reports every node without a rule at once, naming op, node, opset and the ops that have rules', () => {
    const c = opCase((b, [x]) => b.op('Cos', [b.op('HardSigmoid', [x!], {}, { name: 'gate' })], {}, { name: 'wave' }), [inp('X', [2, 2])]);
    const err = (() => { try { buildGradientGraph(c.model, { loss: c.model.graph.outputs[0]!.name, wrt: ['X'] }); } catch (e) { return e as Error & { code?: string }; } return undefined; })();
    expect(err?.code).toBe('AUTODIFF_NO_RULE');
    expect(err?.message).toContain(`2 nodes lack gradient rules:\n  - node 'gate' (ai.onnx HardSigmoid, opset 17): no gradient rule\n  - node 'wave' (ai.onnx Cos, opset 17): no gradient rule`);
    expect(err?.message).toMatch(/Ops with gradient rules: Abs, Add, .*Gemm.*, com\.microsoft:FastGelu.*\. Pass a custom rule in options\.rules/);
  });

  it('names the opsets that do have a rule (ai.onnx Gelu exists from opset 20)', () => {
    const c = opCase('Gelu', [inp('X', [2])], {}, { opset: 17 });
    expect(() => buildGradientGraph(c.model, { loss: c.model.graph.outputs[0]!.name, wrt: ['X'] }))
      .toThrow(/node 'Gelu' \(ai\.onnx Gelu, opset 17\): no gradient rule \(rules exist for opsets 20\+\)/);
  });

  it('accepts custom rules through the same lookup as built-ins', async () => {
    const cos: GradRule = ({ b, dY: [dy], x }) => [dy && b.op('Neg', [b.op('Mul', [dy, b.op('Sin', [x(0)])])])];
    const c = opCase('Cos', [inp('X', [2, 3])]);
    await expectGradOk(c, { gradient: { rules: [{ domain: '', opType: 'Cos', since: 7, rule: cos }] } });
  });

  it('rejects bad options with every problem listed, and opsets below 9', () => {
    const m = linearTanh();
    expect(() => buildGradientGraph(m, { loss: 'loss', wrt: ['nope', 'x', 'x'] })).toThrow(/'wrt' names 'x' more than once/);
    expect(() => buildGradientGraph(m, { loss: 'missing', wrt: ['fc.bias'] })).toThrow(/loss 'missing' is not a value of graph 'lin'/);
    const ints = opCase('Add', [inp('A', [2], { dtype: 'int64' }), inp('B', [2])]);
    expect(() => buildGradientGraph(ints.model, { loss: ints.model.graph.outputs[0]!.name, wrt: ['A'] })).toThrow(/'A' must be a float tensor, found int64/);
    const old = opCase('Relu', [inp('X', [2])], {}, { opset: 8 });
    expect(() => buildGradientGraph(old.model, { loss: old.model.graph.outputs[0]!.name, wrt: ['X'] })).toThrow(/opset 8; gradient graphs need opset 9\+/);
  });
});
