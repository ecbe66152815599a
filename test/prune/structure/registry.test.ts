import { describe, expect, it } from 'vitest';
import { GraphBuilder, uniformTensor } from '../../../src/ir/builder.js';
import type { Model, Value } from '../../../src/ir/graph.js';
import { buildDependencyGraph, CHANNEL_RULES, findChannelRule, type ChannelRuleEntry } from '../../../src/prune/structure/index.js';
import { softmax, softmaxLegacy } from '../../../src/prune/structure/rules/norm.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { Rng } from '../../../src/util/rng.js';

/** conv(3→8) → `op` → conv(8→4) → graph output. */
function sandwich(op: string, attrs: Record<string, number> = {}, opset = 17): Model {
  const b = new GraphBuilder('sandwich');
  const rng = new Rng(1);
  const x = b.input('x', 'float32', ['N', 3, 8, 8]);
  const w = (name: string, dims: number[]): Value => b.initializer(name, uniformTensor(rng, dims, 0.3));
  const c = b.op('Conv', [x, w('w1', [8, 3, 1, 1])], {}, { name: 'c1' });
  const y = b.op(op, [c], attrs, { name: 'middle' });
  b.output(b.op('Conv', [y, w('w2', [4, 8 / (attrs.blocksize ?? 1) ** 2, 1, 1])], {}, { name: 'c2' }), { name: 'out' });
  return b.model(opset);
}

describe('channel rule table', () => {
  it('has one row per domain, op and opset range', () => {
    const keys = CHANNEL_RULES.map((e) => `${e.domain}:${e.opType}:${e.since}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(CHANNEL_RULES.every((e) => typeof e.rule === 'function')).toBe(true);
  });

  it('picks rows by opset range (TSDoc example)', () => {
    expect(findChannelRule('', 'Softmax', 11)?.rule).toBe(softmaxLegacy);
    expect(findChannelRule('ai.onnx', 'Softmax', 13)?.rule).toBe(softmax);
    expect(findChannelRule('my.ops', 'Frobnicate', 1)).toBeUndefined();
  });

  it('extra rows come first, so they can override a built-in op', () => {
    const extra: ChannelRuleEntry[] = [{ domain: '', opType: 'Relu', since: 1, rule: () => ({ kind: 'block', reason: 'house rule: no Relu pruning' }) }];
    const g = buildDependencyGraph(sandwich('Relu'), { rules: extra }).groups[0]!;
    expect(g.blocked).toEqual({ node: 'middle', opType: 'Relu', reason: 'house rule: no Relu pruning' });
    expect(buildDependencyGraph(sandwich('Relu')).groups[0]!.blocked).toBeUndefined();
  });

  it('an ai.onnx op without a row blocks too (never assumed elementwise)', () => {
    const g = buildDependencyGraph(sandwich('DepthToSpace', { blocksize: 2 })).groups[0]!;
    expect(g.blocked).toEqual({ node: 'middle', opType: 'DepthToSpace', reason: 'no channel rule for ai.onnx DepthToSpace (opset 17); add one with options.rules' });
  });

  it('ops that mix channels block with their reason', () => {
    expect(buildDependencyGraph(sandwich('Softmax', { axis: 1 })).groups[0]!.blocked?.reason).toBe('Softmax normalizes over the channel axis');
    expect(buildDependencyGraph(sandwich('LRN', { size: 3 })).groups[0]!.blocked?.reason).toBe('LRN normalizes across neighbouring channels; removing channels changes the kept ones');
    expect(buildDependencyGraph(sandwich('Softmax', { axis: 2 })).groups[0]!.blocked).toBeUndefined();
  });

  it('a group reaching a graph input or output is blocked, naming the tensor', () => {
    const dg = buildDependencyGraph(sandwich('Relu'));
    expect(dg.groups[1]!.blocked).toEqual({ node: 'c2', opType: 'Conv', reason: "reaches graph output 'out': its shape would change" });
    const vit = buildDependencyGraph(buildZooModel('vit-tiny'));
    expect(vit.groups[0]!.blocks.map((b) => b.opType)).toContain('LayerNormalization');
  });
});
