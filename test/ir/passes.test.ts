import { describe, expect, it } from 'vitest';
import { Graph, createModel } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { assertValid, cleanup, toposort, verify } from '../../src/ir/passes.js';
import { cloneModel } from '../../src/ir/clone.js';

function diamond(): Graph {
  const g = new Graph('d');
  const x = g.addInput('x', 'float32', [2]);
  const a = g.addNode('Relu', [x], { name: 'a' }).output(0)!;
  const b = g.addNode('Neg', [a], { name: 'b' }).output(0)!;
  const c = g.addNode('Exp', [a], { name: 'c' }).output(0)!;
  const d = g.addNode('Add', [b, c], { name: 'd' }).output(0)!;
  g.outputs.push(d);
  return g;
}

describe('toposort', () => {
  it('leaves a sorted graph unchanged (stable)', () => {
    const g = diamond();
    toposort(g);
    expect(g.nodes.map((n) => n.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('orders a shuffled graph with ties broken by original order', () => {
    const g = diamond();
    g.nodes.reverse();
    toposort(g);
    expect(g.nodes.map((n) => n.name)).toEqual(['a', 'c', 'b', 'd']);
  });

  it('reports a cycle naming the nodes', () => {
    const g = diamond();
    g.node('a')!.setInput(0, g.node('d')!.output(0)!);
    expect(() => toposort(g)).toThrowError(/cycle through 'a' \(Relu\)/);
  });
});

describe('cleanup', () => {
  it('removes dead nodes and unused initializers but never outputs or inputs', () => {
    const g = diamond();
    const x = g.requireValue('x');
    g.addInitializer('unused', Tensor.fromArray('float32', [1], [1]));
    g.addNode('Sigmoid', [x], { name: 'dead' });
    const removed = cleanup(g);
    expect(removed).toEqual({ nodes: 1, initializers: 1 });
    expect(g.node('dead')).toBeUndefined();
    expect(g.value('unused')).toBeUndefined();
    expect(g.inputs).toHaveLength(1);
    expect(g.outputs[0]!.name).toBe('d_out');
  });

  it('orders, keeps and clones what only a subgraph reads', () => {
    const g = new Graph('outer');
    const cond = g.addInput('cond', 'bool', []);
    const k = g.addInitializer('k', Tensor.fromArray('float32', [1], [3]));
    const body = new Graph('then');
    const doubled = g.addNode('Add', [k, k], { name: 'double' }).output(0)!;
    body.outputs.push(body.addNode('Identity', [doubled]).output(0)!);
    const iff = g.addNode('If', [cond], { name: 'if', attributes: { then_branch: { type: 'graph', value: body }, else_branch: { type: 'graph', value: body } } });
    g.outputs.push(iff.output(0)!);
    g.nodes.reverse();
    toposort(g);
    expect(g.nodes.map((n) => n.name)).toEqual(['double', 'if']);
    cleanup(g);
    expect(g.value('k')).toBe(k);
    expect(g.node('double')).toBeDefined();
    expect(verify(createModel(g))).toEqual([]);
    const copy = cloneModel(createModel(g)).graph;
    const branch = copy.node('if')!.attributes.get('then_branch');
    expect(branch?.type === 'graph' && branch.value.nodes[0]!.input(0)).toBe(copy.requireValue('double_out'));
  });
});

describe('verify', () => {
  it('accepts a valid model', () => {
    expect(verify(createModel(diamond()))).toEqual([]);
  });

  it('reports every problem at once: use before definition, missing opset, unproduced output', () => {
    const g = diamond();
    g.nodes.reverse();
    g.addNode('Custom', [g.requireValue('x')], { name: 'custom', domain: 'com.example' });
    const ghost = g.addValue('ghost');
    g.outputs.push(ghost);
    const problems = verify(createModel(g));
    const text = problems.map((p) => `${p.where}: ${p.message}`).join('\n');
    expect(text).toMatch(/node 'd' \(Add\): input 0 'b_out' is used before it is produced/);
    expect(text).toMatch(/node 'custom' \(Custom\): domain 'com.example' has no opset import/);
    expect(text).toMatch(/output 'ghost' is never produced/);
    expect(() => assertValid(createModel(g), 'm.onnx')).toThrowError(/m.onnx is not a valid graph \(\d+ problems\)/);
  });
});

describe('cloneModel', () => {
  it('copies structure so edits do not leak, and shares tensors', () => {
    const g = diamond();
    const w = g.addInitializer('w', Tensor.fromArray('float32', [2], [1, 2]));
    g.node('d')!.setInput(1, w);
    const m = createModel(g);
    const c = cloneModel(m);
    c.graph.removeNode(c.graph.node('a')!);
    expect(m.graph.nodes).toHaveLength(4);
    expect(c.graph.nodes).toHaveLength(3);
    expect(c.graph.requireValue('w').constant).toBe(w.constant);
    expect(c.graph.initializers.map((v) => v.name)).toEqual(['w']);
    expect(c.graph.node('d')!.input(1)).toBe(c.graph.requireValue('w'));
  });
});
