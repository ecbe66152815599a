import { describe, expect, it } from 'vitest';
import type { Model } from '../../../src/ir/graph.js';
import { encodeModel } from '../../../src/onnx/index.js';
import {
  applyStructuredPlan, buildDependencyGraph, IN, OUT, passThrough, type ChannelRule, type DependencyGraph,
} from '../../../src/prune/structure/index.js';
import { recurrentShapes } from '../../../src/prune/structure/rules/recurrent.js';
import * as G from './graphs.js';
import { equivalence, maxDiff, randomFeeds, randomizeVectors, randomPlan, zeroSinks } from './helpers.js';

/** Each scenario: its builder and the groups it must have ([name, channels, blocked?]). */
const SCENARIOS: readonly { name: string; build: () => Model; groups: readonly (readonly [string, number, boolean])[] }[] = [
  { name: 'residual', build: G.residualGraph, groups: [['bn0/c0/Conv', 8, false], ['c1a/Conv', 6, false], ['c2a/Conv', 6, false], ['fc/Gemm', 4, true]] },
  { name: 'concat', build: G.concatGraph, groups: [['left/Conv', 6, false], ['right/Conv', 10, false], ['merge/Conv', 8, false], ['fc/Gemm', 4, true]] },
  { name: 'split and slice', build: G.splitGraph, groups: [['src/Conv', 16, false], ['pa/Conv', 4, false], ['src2/Conv', 16, false], ['fc/Gemm', 4, true]] },
  { name: 'depthwise and grouped', build: G.depthwiseGraph, groups: [['expand/Conv', 2, false], ['project/Conv', 8, false], ['fc/Gemm', 4, true]] },
  { name: 'reshape, flatten, NHWC into linear', build: G.reshapeGraph, groups: [['a/Conv', 6, false], ['fa/Gemm', 4, true], ['c/Conv', 5, false], ['d/Conv', 4, false]] },
  { name: 'multi-head attention', build: () => G.attentionGraph(), groups: [['q/MatMul', 4, false], ['proj/MatMul', 24, false], ['fc/Gemm', 4, true]] },
  { name: 'grouped-query attention', build: () => G.attentionGraph(2), groups: [['q/MatMul', 2, false], ['proj/MatMul', 24, false], ['fc/Gemm', 4, true]] },
  { name: 'pass-through chain', build: G.chainGraph, groups: [['c/Conv', 8, false], ['ConvTranspose', 6, false], ['fc/Gemm', 4, true]] },
  { name: 'rewritten sizes', build: G.rewriteGraph, groups: [['c/Conv', 16, false], ['pa/Conv', 4, false], ['fc/Gemm', 4, true]] },
  { name: 'opset-9 slice', build: G.legacySliceGraph, groups: [['c/Conv', 16, false], ['d/Conv', 8, false], ['fc/Gemm', 4, true]] },
  { name: 'LSTM', build: () => G.recurrentGraph('LSTM'), groups: [['embed/MatMul', 8, false], ['LSTM', 6, false], ['fc/Gemm', 4, true]] },
  { name: 'GRU', build: () => G.recurrentGraph('GRU'), groups: [['embed/MatMul', 8, false], ['GRU', 6, false], ['fc/Gemm', 4, true]] },
];

function summary(dg: DependencyGraph): [string, number, boolean][] {
  return dg.groups.map((g) => [g.name, g.channels, g.blocked !== undefined]);
}

describe.each(SCENARIOS)('scenario: $name', ({ build, groups }) => {
  const model = randomizeVectors(build());
  const dg = buildDependencyGraph(model);

  it('finds the expected groups', () => {
    expect(summary(dg)).toEqual(groups);
  });

  it.each([1, 2])('pruned model equals the zero-channel reference (plan seed %i)', async (seed) => {
    const plan = randomPlan(dg, seed, 0.5);
    const before = encodeModel(model);
    const r = await equivalence(model, dg, plan);
    expect(r.shapesEqual).toBe(true);
    expect(r.diff).toBeLessThanOrEqual(1e-4 * Math.max(1, r.ref));
    expect(r.params).toBe(r.expectedParams);
    expect(r.pruned.graph.outputs.map((v) => [v.name, v.shape])).toEqual(model.graph.outputs.map((v) => [v.name, v.shape]));
    expect(Buffer.compare(Buffer.from(encodeModel(model)), Buffer.from(before))).toBe(0);
    // The reference is not the original: the removed channels mattered.
    const changed = await maxDiff(model, zeroSinks(model, dg, plan), randomFeeds(model));
    expect(changed.diff).toBeGreaterThan(1e-3);
  });
});

describe('scenario details', () => {
  it('attention heads: whole heads of Q, K, V and the projection rows, head-count constants rewritten', () => {
    const model = G.attentionGraph();
    const dg = buildDependencyGraph(model);
    const heads = dg.groups[0]!;
    expect(heads.unit).toBe(8);
    expect(heads.sources).toEqual(['q/MatMul', 'k/MatMul', 'v/MatMul']);
    expect(heads.sinks).toEqual(['proj/MatMul']);
    const qw = heads.members.find((m) => m.tensor === 'q/weight')!;
    expect([qw.axis, qw.indexMap.positions[1]]).toEqual([1, [8, 9, 10, 11, 12, 13, 14, 15]]);
    const pruned = applyStructuredPlan(model, { groups: [{ id: 0, prune: [1, 3] }] }, { graph: dg });
    const targets = pruned.graph.nodes.filter((n) => n.opType === 'Reshape').map((n) => n.input(1)!.constant!.toNumbers());
    expect(targets).toEqual([[0, 0, 2, 8], [0, 0, 2, 8], [0, 0, 2, 8], [0, 0, 16]]);
    expect(pruned.graph.requireValue('proj/weight').constant!.dims).toEqual([16, 24]);
  });

  it('grouped-query attention: a channel is one K/V head with the query heads that share it', () => {
    const dg = buildDependencyGraph(G.attentionGraph(2));
    const g = dg.groups[0]!;
    expect(g.members.find((m) => m.tensor === 'q/weight')!.indexMap.positions[1]).toEqual(Array.from({ length: 16 }, (_, i) => 16 + i));
    expect(g.members.find((m) => m.tensor === 'k/weight')!.indexMap.positions[1]).toEqual(Array.from({ length: 8 }, (_, i) => 8 + i));
  });

  it('concat: each branch owns its offset range of the merged conv input', () => {
    const dg = buildDependencyGraph(G.concatGraph());
    const w = (id: number) => dg.groups[id]!.members.find((m) => m.tensor === 'merge/weight' && m.axis === 1)!.indexMap.positions;
    expect(w(0).flat()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(w(1).flat()).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it('NHWC flatten: channel c owns every C-th feature of the linear layer', () => {
    const dg = buildDependencyGraph(G.reshapeGraph());
    const fd = dg.groups.find((g) => g.name === 'd/Conv')!.members.find((m) => m.tensor === 'fd/weight')!;
    expect([fd.indexMap.period, fd.indexMap.length, fd.indexMap.positions[2]]).toEqual([4, 64, [2]]);
  });

  it('rewrites Split sizes, Expand and Resize targets, conv groups and hidden_size', () => {
    const split = applyStructuredPlan(G.rewriteGraph(), { groups: [{ id: 0, prune: [0, 1, 2, 9] }] });
    const node = (m: Model, op: string) => m.graph.nodes.find((n) => n.opType === op)!;
    expect(node(split, 'Split').input(1)!.constant!.toNumbers()).toEqual([5, 7]);
    expect(node(split, 'Resize').input(3)!.constant!.toNumbers()).toEqual([2, 12, 16, 16]);
    expect(node(split, 'Expand').input(1)!.constant!.toNumbers()).toEqual([2, 12, 16, 16]);
    const dw = applyStructuredPlan(G.depthwiseGraph(), { groups: [{ id: 0, prune: [1] }] });
    expect(dw.graph.nodes.filter((n) => n.opType === 'Conv').map((n) => n.attrInt('group', 1))).toEqual([1, 4, 4, 1, 1]);
    const lstmModel = G.recurrentGraph();
    const lstmNode = lstmModel.graph.nodes.find((n) => n.opType === 'LSTM')!;
    lstmNode.input(0)!.shape = [5, 'N', 8];
    expect(recurrentShapes(lstmNode)).toEqual([[5, 1, 'N', 6], [1, 'N', 6], [1, 'N', 6]]);
    const lstm = applyStructuredPlan(lstmModel, { groups: [{ id: 1, prune: [0, 5] }] });
    expect(node(lstm, 'LSTM').attrInt('hidden_size')).toBe(4);
    expect(lstm.graph.requireValue('W').constant!.dims).toEqual([1, 16, 8]);
  });

  it('blocks a group at an unknown op, naming it; a custom rule row unblocks it', () => {
    const model = G.customOpGraph();
    const g = buildDependencyGraph(model).groups[0]!;
    expect(g.blocked).toEqual({ node: 'frob', opType: 'Frobnicate', reason: 'no channel rule for com.example Frobnicate (opset 1); add one with options.rules' });
    const rules = [{ domain: 'com.example', opType: 'Frobnicate', since: 1, rule: unaryRule }];
    const again = buildDependencyGraph(model, { rules }).groups[0]!;
    expect([again.blocked, again.sinks]).toEqual([undefined, ['d/Conv']]);
  });
});

/** A custom elementwise rule, as a user would register it. */
const unaryRule: ChannelRule = (ctx, at) => passThrough(ctx, at, [IN(0), OUT(0)]);
