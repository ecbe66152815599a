/**
 * unrollRecurrent: the unrolled graph must give the LSTM/GRU node's outputs in onnxruntime (float32; onnxruntime has
 * no float64 LSTM/GRU kernels; max abs difference ≤ 1e-5), and its gradients (standard rules only) must pass finite
 * differences in float64 (the unrolled ops all have float64 kernels; ε = 1e-6, rtol = 1e-6, atol = 1e-9).
 */
import { describe, expect, it } from 'vitest';
import { assertGradients } from '../../../src/autodiff/check.js';
import { unrollRecurrent } from '../../../src/autodiff/rules/recurrent.js';
import { SecateursError } from '../../../src/errors.js';
import { GraphBuilder, type AttrMap } from '../../../src/ir/builder.js';
import type { DataType } from '../../../src/ir/dtype.js';
import type { Dim, Model } from '../../../src/ir/graph.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { createSession, type TensorData } from '../../../src/runtime/index.js';
import { Rng } from '../../../src/util/rng.js';

interface RnnCase {
  readonly kind: 'LSTM' | 'GRU';
  readonly direction?: 'forward' | 'reverse' | 'bidirectional';
  readonly layout?: 0 | 1;
  readonly bias?: boolean;
  readonly initial?: boolean;
  readonly peephole?: boolean;
  readonly lbr?: 0 | 1;
  /** Which outputs the node has (default all). */
  readonly outputs?: readonly boolean[];
}

const [SEQ, BATCH, IN, HID] = [3, 2, 3, 4];

function rnnModel(c: RnnCase, dtype: DataType): Model {
  const rng = new Rng(21);
  const rand = (name: string, dims: readonly number[], scale = 0.5) => b.initializer(name, Tensor.fromArray(dtype, dims,
    Array.from({ length: dims.reduce((p, d) => p * d, 1) }, () => scale * rng.normal())));
  const b = new GraphBuilder(c.kind.toLowerCase());
  const dirs = c.direction === 'bidirectional' ? 2 : 1;
  const gates = c.kind === 'LSTM' ? 4 : 3;
  const layout = c.layout ?? 0;
  const x = b.input('x', dtype, layout === 0 ? [SEQ, BATCH, IN] : [BATCH, SEQ, IN]);
  const state = layout === 0 ? [dirs, BATCH, HID] : [BATCH, dirs, HID];
  const inputs = [x, rand('W', [dirs, gates * HID, IN]), rand('R', [dirs, gates * HID, HID]),
    c.bias ? rand('B', [dirs, 2 * gates * HID]) : null, null,
    c.initial ? rand('initial_h', state) : null, c.initial && c.kind === 'LSTM' ? rand('initial_c', state) : null,
    c.peephole ? rand('P', [dirs, 3 * HID]) : null];
  while (inputs[inputs.length - 1] === null) inputs.pop();
  const attrs: AttrMap = { hidden_size: HID, direction: c.direction, layout: c.layout, linear_before_reset: c.lbr };
  const shapes: Record<string, Dim[]> = { y: layout === 0 ? [SEQ, dirs, BATCH, HID] : [BATCH, SEQ, dirs, HID], y_h: state, y_c: state };
  const all = c.kind === 'LSTM' ? ['y', 'y_h', 'y_c'] : ['y', 'y_h'];
  const node = b.node(c.kind, inputs, attrs, { name: 'rnn', outputs: all });
  all.forEach((n, i) => {
    const v = node.output(i)!;
    if (c.outputs?.[i] ?? true) b.output(v, { name: n, dtype, shape: shapes[n] });
    else { node.setOutput(i, null); b.graph.dropValue(v); }
  });
  return b.model(17);
}

const CASES: readonly (readonly [string, RnnCase])[] = [
  ['LSTM forward, bias, initial states, peepholes', { kind: 'LSTM', bias: true, initial: true, peephole: true }],
  ['LSTM reverse, no bias, zero initial states', { kind: 'LSTM', direction: 'reverse' }],
  ['LSTM bidirectional, layout 1, bias', { kind: 'LSTM', direction: 'bidirectional', layout: 1, bias: true, initial: true }],
  ['LSTM, only Y_h', { kind: 'LSTM', bias: true, outputs: [false, true, false] }],
  ['GRU forward, linear_before_reset 0, bias, initial state', { kind: 'GRU', bias: true, initial: true }],
  ['GRU bidirectional, linear_before_reset 1, bias', { kind: 'GRU', direction: 'bidirectional', bias: true, lbr: 1 }],
  ['GRU reverse, layout 1, no bias', { kind: 'GRU', direction: 'reverse', layout: 1, initial: true }],
];

function randomInput(model: Model, dtype: 'float32' | 'float64'): TensorData {
  const dims = model.graph.inputs[0]!.shape as number[];
  const rng = new Rng(9);
  const n = dims.reduce((p, d) => p * d, 1);
  const data = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal();
  return { dtype, dims, data };
}

/**
 * onnxruntime runs only layout 0: the same node with layout 0 between Transposes (batch-first in and out), built with
 * standard ops, is the reference for a layout-1 node.
 */
function asLayout0(model: Model): Model {
  const g = model.graph;
  const node = g.node('rnn')!;
  if (node.attrInt('layout', 0) === 0) return model;
  const b = new GraphBuilder(g);
  node.attributes.delete('layout');
  [0, 5, 6].forEach((i) => {
    const v = node.input(i);
    if (v) node.setInput(i, b.op('Transpose', [v], { perm: [1, 0, 2] }));
  });
  node.outputs.forEach((v, i) => {
    if (!v) return;
    const fresh = g.addValue(`${v.name}_layout0`);
    node.setOutput(i, fresh);
    const t = b.node('Transpose', [fresh], { perm: i === 0 ? [2, 0, 1, 3] : [1, 0, 2] });
    const placeholder = t.output(0)!;
    t.setOutput(0, v);
    g.dropValue(placeholder);
  });
  return model;
}

async function run(model: Model, x: TensorData): Promise<Record<string, TensorData>> {
  const s = await createSession(model);
  try {
    return await s.run({ x });
  } finally {
    await s.release();
  }
}

describe('unrollRecurrent', () => {
  it.each(CASES)('%s: same outputs as the node (float32)', async (_, c) => {
    const model = rnnModel(c, 'float32');
    const { model: flat, unrolled } = unrollRecurrent(model);
    expect(unrolled).toEqual(['rnn']);
    expect(flat.graph.nodes.some((n) => n.opType === c.kind)).toBe(false);
    const x = randomInput(model, 'float32');
    const [want, got] = [await run(asLayout0(model), x), await run(flat, x)];
    for (const name of model.graph.outputs.map((v) => v.name)) {
      const [a, b] = [want[name]!, got[name]!];
      expect(b.dims).toEqual(a.dims);
      const diff = Math.max(...Array.from(a.data as Float32Array, (v, i) => Math.abs(v - (b.data as Float32Array)[i]!)));
      expect(diff).toBeLessThan(1e-5);
    }
  });

  it.each(CASES)('%s: gradients pass finite differences (float64)', async (_, c) => {
    const { model } = unrollRecurrent(rnnModel(c, 'float64'));
    const r = await assertGradients(model, { feeds: { x: randomInput(model, 'float64') } });
    expect(r.precision).toBe('float64');
    expect(r.entries.length).toBeGreaterThanOrEqual(3);
  });

  it('accepts a constant full-length sequence_lens', () => {
    const model = rnnModel({ kind: 'GRU' }, 'float32');
    const node = model.graph.node('rnn')!;
    node.setInput(3, null);
    node.setInput(4, model.graph.addInitializer('lens', Tensor.fromArray('int32', [BATCH], [SEQ, SEQ])));
    expect(unrollRecurrent(model).unrolled).toEqual(['rnn']);
  });

  it('reports every unsupported attribute of every node', () => {
    const b = new GraphBuilder('bad');
    const x = b.input('x', 'float32', ['S', 2, 3]);
    const w = b.initializer('W', Tensor.fromArray('float32', [1, 16, 3], new Array<number>(48).fill(0)));
    const r = b.initializer('R', Tensor.fromArray('float32', [1, 16, 4], new Array<number>(64).fill(0)));
    const y = b.op('LSTM', [x, w, r], { hidden_size: 4, clip: 3, activations: ['Relu', 'Tanh', 'Tanh'] }, { name: 'lstm1' });
    b.output(y, { name: 'y', dtype: 'float32' });
    expect(() => unrollRecurrent(b.model(17))).toThrow(new SecateursError('AUTODIFF_UNSUPPORTED',
      "unrollRecurrent(graph 'bad'): node 'lstm1' (LSTM): activations [Relu, Tanh, Tanh] are not the defaults [Sigmoid, Tanh, Tanh]; " +
      "node 'lstm1' (LSTM): attribute 'clip' is not supported; node 'lstm1' (LSTM): the sequence length of input 'x' must be static (found [S, 2, 3])."));
  });
});
