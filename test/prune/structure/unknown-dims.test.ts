/**
 * Scenario: attention heads whose reshape targets come from Shape arithmetic over dims that shape inference cannot
 * know (as in a BERT export, where slicing position ids to the sequence length loses the batch and sequence dims).
 * The channel axis and the axes right of it are known, which is all the mapping needs; the Reshape targets keep
 * their run-time entries and only the head-count entry is replaced.
 */
import { describe, expect, it } from 'vitest';
import type { Model, Value } from '../../../src/ir/graph.js';
import { applyStructuredPlan, buildDependencyGraph } from '../../../src/prune/structure/index.js';
import { reshapeMap } from '../../../src/prune/structure/factors.js';
import { seedMap } from '../../../src/prune/structure/channel-map.js';
import { dense, finishModel, linear, startModel } from '../../../src/zoo/common.js';
import { equivalence, maxDiff, randomFeeds, randomizeVectors, randomPlan, zeroSinks } from './helpers.js';

/**
 * Self-attention over x [?, ?, 32] (both leading dims unknown) with 4 heads of 8: head split and merge Reshapes
 * whose targets are Concat(Slice(Shape(·), 0, 2), constant), then a projection, a token mean and a Gemm.
 */
function unknownDimsAttention(): Model {
  const [D, H, dh] = [32, 4, 8];
  const info = { name: 'unknown-dims', description: 'attention with run-time reshape targets', inputShape: [6, D], dataset: 'mnist' as const };
  const ctx = startModel(info, { numClasses: 4, seed: 5 });
  const { b } = ctx;
  const lead = (v: Value): Value => b.op('Slice', [b.op('Shape', [v]), b.constI64('lo', [0]), b.constI64('hi', [2])]);
  const split = (v: Value): Value => {
    const target = b.op('Concat', [lead(v), b.constI64('heads', [H, dh])], { axis: 0 });
    return b.op('Transpose', [b.op('Reshape', [v, target])], { perm: [0, 2, 1, 3] });
  };
  const q = split(b.scope('q', () => dense(ctx, ctx.input, D, D)));
  const k = split(b.scope('k', () => dense(ctx, ctx.input, D, D)));
  const v = split(b.scope('v', () => dense(ctx, ctx.input, D, D)));
  const scores = b.op('Mul', [b.op('MatMul', [q, b.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), b.scalar(1 / Math.sqrt(dh))]);
  const o = b.op('Transpose', [b.op('MatMul', [b.op('Softmax', [scores], { axis: -1 }), v])], { perm: [0, 2, 1, 3] });
  const merged = b.op('Reshape', [o, b.op('Concat', [lead(o), b.constI64('width', [D])], { axis: 0 })]);
  const proj = b.op('Relu', [b.scope('proj', () => dense(ctx, merged, D, 24))]);
  const pooled = b.op('ReduceMean', [proj, b.constI64('tokens', [1])], { keepdims: 0 });
  const model = finishModel(ctx, info, b.scope('fc', () => linear(ctx, pooled, 24, 4)));
  model.opsets.set('', 18);
  model.graph.inputs[0]!.shape = [null, null, D];
  model.graph.outputs[0]!.shape = [null, 4];
  return model;
}

describe('scenario: head reshapes with run-time targets over unknown dims', () => {
  const model = randomizeVectors(unknownDimsAttention());
  const dg = buildDependencyGraph(model);

  it('finds whole heads of Q, K and V, the projection and the blocked classifier', () => {
    expect(dg.groups.map((g) => [g.name, g.channels, g.blocked !== undefined])).toEqual([['q/MatMul', 4, false], ['proj/MatMul', 24, false], ['fc/Gemm', 4, true]]);
    expect(dg.groups[0]!.sources).toEqual(['q/MatMul', 'k/MatMul', 'v/MatMul']);
    expect(dg.groups[0]!.unit).toBe(8);
  });

  it('keeps the computed targets and replaces only their head-count entries', () => {
    const pruned = applyStructuredPlan(model, { groups: [{ id: 0, prune: [1, 2] }] }, { graph: dg });
    const reshapes = pruned.graph.nodes.filter((n) => n.opType === 'Reshape');
    expect(reshapes.map((n) => n.input(1)!.producer?.opType)).toEqual(['Add', 'Add', 'Add', 'Add']);
    const splice = reshapes.map((n) => n.input(1)!.producer!.inputs.map((v) => v?.constant?.toNumbers() ?? v?.producer?.opType));
    expect(splice.slice(0, 3)).toEqual(Array(3).fill(['Mul', [0, 0, 2, 0]]));
    expect(splice[3]).toEqual(['Mul', [0, 0, 16]]);
    expect(reshapes[0]!.input(1)!.producer!.input(0)!.producer!.input(1)!.constant!.toNumbers()).toEqual([1, 1, 0, 1]);
  });

  it.each([1, 2])('pruned model equals the zero-channel reference (plan seed %i)', async (seed) => {
    const plan = randomPlan(dg, seed, 0.5);
    const r = await equivalence(model, dg, plan);
    expect(r.shapesEqual).toBe(true);
    expect(r.diff).toBeLessThanOrEqual(1e-4 * Math.max(1, r.ref));
    expect(r.params).toBe(r.expectedParams);
    expect((await maxDiff(model, zeroSinks(model, dg, plan), randomFeeds(model))).diff).toBeGreaterThan(1e-3);
  });
});

describe('reshapeMap with unknown dims', () => {
  it('maps the channel axis when it and the axes right of it are known', () => {
    expect(reshapeMap([null, null, 32], [null, null, 4, 8], 2, seedMap(32))).toMatchObject({ kind: 'coarsen', factor: 8 });
    expect(reshapeMap([null, null, 32], [null, null, 4, 8], 2, seedMap(32, 8))).toEqual({ kind: 'map', axis: 2, map: { ...seedMap(32, 8), block: 1, span: 4 } });
    expect(reshapeMap([null, null, 4, 8], [null, null, 32], 2, { ...seedMap(32, 8), block: 1, span: 4 })).toEqual({ kind: 'map', axis: 2, map: { ...seedMap(32, 8), block: 1, span: 4, inner: 8 } });
  });

  it('blocks when a dim right of the channel axis, or the one enclosing it, is unknown', () => {
    expect(reshapeMap(['N', 8, null], ['N', 8, null], 1, seedMap(8))).toEqual({ kind: 'block', reason: 'reshape [N, 8, ?] → [N, 8, ?] has unknown or zero dims' });
    expect(reshapeMap([null, 32], [null, null, 8], 1, seedMap(32, 8))).toEqual({ kind: 'block', reason: 'reshape [?, 32] → [?, ?, 8] has unknown or zero dims' });
  });
});
