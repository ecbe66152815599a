import { describe, expect, it } from 'vitest';
import { Graph, createModel } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { SecateursError } from '../../src/errors.js';

function mlp(): { g: Graph; x: ReturnType<Graph['addInput']> } {
  const g = new Graph('mlp');
  const x = g.addInput('x', 'float32', ['N', 4]);
  const w = g.addInitializer('w', Tensor.fromArray('float32', [4, 3], new Array(12).fill(0.5)));
  const h = g.addNode('MatMul', [x, w], { name: 'fc' }).output(0)!;
  const y = g.addNode('Relu', [h], { name: 'act' }).output(0)!;
  g.outputs.push(y);
  return { g, x };
}

describe('Graph edits keep both sides of every edge in sync', () => {
  it('records producers and uses when nodes are added', () => {
    const { g, x } = mlp();
    const fc = g.node('fc')!;
    expect(fc.output(0)!.producer).toBe(fc);
    expect(x.uses).toEqual([{ node: fc, index: 0 }]);
    expect(g.node('act')!.input(0)).toBe(fc.output(0));
  });

  it('setInput moves the use from the old value to the new one', () => {
    const { g, x } = mlp();
    const act = g.node('act')!;
    const old = act.input(0)!;
    act.setInput(0, x);
    expect(old.uses).toHaveLength(0);
    expect(x.uses.map((u) => u.node.name)).toEqual(['fc', 'act']);
  });

  it('replaceAllUses rewires consumers and graph outputs', () => {
    const { g, x } = mlp();
    const y = g.outputs[0]!;
    g.replaceAllUses(y, x);
    expect(g.outputs[0]).toBe(x);
  });

  it('removeNode disconnects inputs and leaves outputs unproduced', () => {
    const { g, x } = mlp();
    const fc = g.node('fc')!;
    g.removeNode(fc);
    expect(x.uses).toHaveLength(0);
    expect(fc.output(0)!.producer).toBeUndefined();
    expect(g.nodes.map((n) => n.name)).toEqual(['act']);
  });

  it('generates readable unique names', () => {
    const { g, x } = mlp();
    const a = g.addNode('Relu', [x]);
    const b = g.addNode('Relu', [x]);
    expect(a.name).toBe('Relu');
    expect(b.name).toBe('Relu_1');
    expect(g.uniqueName('fc')).toBe('fc_2');
  });

  it('refuses a second producer for one value, naming both nodes', () => {
    const { g, x } = mlp();
    const h = g.node('fc')!.output(0)!;
    expect(() => g.addNode('Relu', [x], { outputs: [h] })).toThrowError(/already produced by node 'fc'/);
  });

  it('refuses duplicate value names', () => {
    const g = new Graph('g');
    g.addInput('x', 'float32', [1]);
    expect(() => g.addInput('x', 'float32', [1])).toThrowError(SecateursError);
  });

  it('typed attribute getters check the kind and name the node', () => {
    const { g } = mlp();
    const n = g.node('fc')!;
    n.attributes.set('alpha', { type: 'float', value: 0.5 });
    expect(n.attrFloat('alpha', 1)).toBe(0.5);
    expect(n.attrInt('axis', 3)).toBe(3);
    expect(() => n.attrInt('alpha')).toThrowError(/node 'fc' \(MatMul\): attribute 'alpha' should be int, found float/);
  });

  it('createModel picks an IR version that matches the opset', () => {
    const { g } = mlp();
    expect(createModel(g, 17).irVersion).toBe(8);
    expect(createModel(g, 21).irVersion).toBe(10);
  });
});

describe('Tensor', () => {
  it('checks that the data length matches the dims', () => {
    expect(() => new Tensor('float32', [2, 2], { kind: 'bytes', bytes: new Uint8Array(12) })).toThrowError(/needs 16 bytes, found 12/);
    expect(() => new Tensor('float32', [-1], { kind: 'bytes', bytes: new Uint8Array(0) })).toThrowError(RangeError);
  });

  it('converts float16 and bfloat16 with round-to-nearest-even', () => {
    const vals = [0, 1, -2.5, 65504, 1e-7, 0.1, Infinity, -Infinity];
    const h = Tensor.fromArray('float16', [vals.length], vals).toFloat32();
    expect(Array.from(h.slice(0, 4))).toEqual([0, 1, -2.5, 65504]);
    expect(h[5]).toBeCloseTo(0.0999755859375, 10);
    expect(h[6]).toBe(Infinity);
    const b = Tensor.fromArray('bfloat16', [3], [1, 0.1, -3]).toFloat32();
    expect(b[0]).toBe(1);
    expect(b[1]).toBeCloseTo(0.10009765625, 10);
    expect(b[2]).toBe(-3);
  });

  it('views misaligned bytes safely', () => {
    const buf = new Uint8Array(9);
    new DataView(buf.buffer).setFloat32(1, 3.5, true);
    new DataView(buf.buffer).setFloat32(5, -1, true);
    const t = new Tensor('float32', [2], { kind: 'bytes', bytes: buf.subarray(1) });
    expect(Array.from(t.view() as Float32Array)).toEqual([3.5, -1]);
  });

  it('reads lazy data once and checks its length', () => {
    let reads = 0;
    const t = new Tensor('int64', [2], { kind: 'lazy', byteLength: 16, describe: 'w', read: () => { reads++; return Tensor.fromArray('int64', [2], [7, -9]).bytes(); } });
    expect(t.isLazy).toBe(true);
    expect(t.toNumbers()).toEqual([7, -9]);
    expect(t.toNumbers()).toEqual([7, -9]);
    expect(reads).toBe(1);
    const bad = new Tensor('float32', [2], { kind: 'lazy', byteLength: 8, describe: 'side.bin:w', read: () => new Uint8Array(4) });
    expect(() => bad.bytes()).toThrowError(/side.bin:w: expected 8 bytes, read 4/);
  });
});
