import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { Graph, createModel, type Model, type Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { decodeModel, encodeModel } from '../../src/onnx/index.js';
import { outerScopeValues } from '../../src/ir/passes.js';
import { describeGraph, floats, runOrt } from './helpers.js';

function branch(name: string, build: (g: Graph) => Value): Graph {
  const g = new Graph(name);
  const out = build(g);
  out.dtype = 'float32';
  out.shape = [3];
  g.outputs.push(out);
  return g;
}

/**
 * y = If(sum(x) > 0, then: xs + xs, else: (xs - x) * inner) with xs = x * scale computed outside; `inner` is a nested
 * If whose branches read the top-level `x`.
 */
function ifModel(): Model {
  const g = new Graph('main');
  const x = g.addInput('x', 'float32', [3]);
  const scale = g.addInitializer('scale', Tensor.fromTyped('float32', [3], Float32Array.from([2, -3, 0.5])));
  const xs = g.addNode('Mul', [x, scale], { name: 'mul', outputs: ['xs'] }).output(0)!;
  const sum = g.addNode('ReduceSum', [x], { name: 'sum', attributes: { keepdims: { type: 'int', value: 0 } } }).output(0)!;
  const zero = g.addInitializer('zero', Tensor.scalar('float32', 0));
  const cond = g.addNode('Greater', [sum, zero], { name: 'positive' }).output(0)!;
  const thenG = branch('then', (b) => b.addNode('Add', [xs, xs], { name: 'twice', outputs: ['then_out'] }).output(0)!);
  const elseG = branch('else', (b) => {
    const d = b.addNode('Sub', [xs, x], { name: 'diff', outputs: ['diff'] }).output(0)!;
    const innerThen = branch('inner_then', (ib) => ib.addNode('Abs', [x], { name: 'abs', outputs: ['abs_x'] }).output(0)!);
    const innerElse = branch('inner_else', (ib) => ib.addNode('Neg', [x], { name: 'neg', outputs: ['neg_x'] }).output(0)!);
    const inner = b.addNode('If', [cond], { name: 'inner_if', outputs: ['inner'], attributes: { then_branch: { type: 'graph', value: innerThen }, else_branch: { type: 'graph', value: innerElse } } }).output(0)!;
    return b.addNode('Mul', [d, inner], { name: 'prod', outputs: ['else_out'] }).output(0)!;
  });
  const y = g.addNode('If', [cond], { name: 'if', outputs: ['y'], attributes: { then_branch: { type: 'graph', value: thenG }, else_branch: { type: 'graph', value: elseG } } }).output(0)!;
  y.dtype = 'float32';
  y.shape = [3];
  g.outputs.push(y);
  return createModel(g, 17);
}

const subgraph = (m: Model, node: string, attr: string): Graph => {
  const a = m.graph.node(node)!.attributes.get(attr);
  if (a?.type !== 'graph') throw new Error(`no graph attribute ${attr}`);
  return a.value;
};

describe('subgraphs', () => {
  it('round-trip with outer-scope references resolved to the outer Values', () => {
    const m = ifModel();
    const back = decodeModel(encodeModel(m));
    expect(describeGraph(back.graph)).toEqual(describeGraph(m.graph));
    const thenG = subgraph(back, 'if', 'then_branch');
    const xs = back.graph.value('xs')!;
    expect(thenG.nodes[0]!.input(0)).toBe(xs);
    expect(thenG.value('xs')).toBeUndefined();
    expect(xs.consumers).toContain(thenG.nodes[0]);
    expect(outerScopeValues(thenG)).toEqual([xs]);
    // the else branch reads xs and x itself, and x again through its nested If
    expect(outerScopeValues(subgraph(back, 'if', 'else_branch')).map((v) => v.name).sort()).toEqual(['positive_out', 'x', 'xs']);
  });

  it('re-encodes outer names unchanged, and follows renames of the outer value', () => {
    const back = decodeModel(encodeModel(ifModel()));
    back.graph.renameValue(back.graph.value('xs')!, 'scaled');
    const p = fromBinary(ModelProtoSchema, encodeModel(back));
    const ifNode = p.graph!.node.find((n) => n.name === 'if')!;
    expect(ifNode.attribute.find((a) => a.name === 'then_branch')!.g!.node[0]!.input).toEqual(['scaled', 'scaled']);
  });

  it('runs in onnxruntime with bit-identical outputs before and after the round trip, both branches', async () => {
    const original = encodeModel(ifModel());
    const again = encodeModel(decodeModel(original));
    for (const data of [Float32Array.from([1, 2, 3]), Float32Array.from([-1, 0.5, -3]), floats(3, 5)]) {
      const a = await runOrt(original, { x: { dims: [3], data } });
      const b = await runOrt(again, { x: { dims: [3], data } });
      expect(Buffer.from(b['y']!).equals(Buffer.from(a['y']!))).toBe(true);
      const y = new Float32Array(a['y']!.buffer);
      const xs = data.map((v, i) => v * [2, -3, 0.5][i]!);
      const sum = data.reduce((s, v) => s + v, 0);
      expect(Array.from(y)).toEqual(Array.from(sum > 0 ? xs.map((v) => v + v) : xs.map((v, i) => (v - data[i]!) * -data[i]!)));
    }
  });
});
