import { describe, expect, it } from 'vitest';
import { loadModel } from '../../../src/onnx/index.js';
import { modelStats } from '../../../src/metrics/index.js';
import {
  applyStructuredPlan, buildDependencyGraph, groupKind, planByRatio, planMacs, planParams, planToTarget, pruneStructured, scoreGroups,
} from '../../../src/prune/structure/index.js';
import { buildZooModel, type ZooName } from '../../../src/zoo/index.js';
import { randomPlan } from './helpers.js';

const macsOf = async (m: Parameters<typeof modelStats>[0]): Promise<number> => (await modelStats(m, { shapes: 'static' })).macs;

describe('planMacs and planParams', () => {
  it.each(['lenet-300-100', 'lenet5', 'resnet-small', 'mobilenetv2-small', 'vit-tiny'] as ZooName[])('%s: equal modelStats of the applied plan', async (name) => {
    const model = buildZooModel(name);
    const dg = buildDependencyGraph(model);
    const [macs, params] = [planMacs(dg), planParams(dg)];
    const dense = await modelStats(model, { shapes: 'static' });
    expect([macs.dense, params.dense]).toEqual([dense.macs, dense.params]);
    for (const [seed, fraction] of [[1, 0.25], [2, 0.5], [3, 0.8]] as const) {
      const plan = randomPlan(dg, seed, fraction);
      const after = await modelStats(applyStructuredPlan(model, plan, { graph: dg }), { shapes: 'static' });
      expect([macs.of(plan), params.of(plan)]).toEqual([after.macs, after.params]);
    }
  });

  it('PyTorch resnet18 (64x64): equals modelStats at a rounded ratio', async () => {
    const model = await loadModel(new URL('../../../fixtures/pytorch/resnet18.onnx', import.meta.url).pathname);
    const dg = buildDependencyGraph(model);
    const plan = planByRatio(dg, scoreGroups(dg, { criterion: 'l2' }), { ratio: 0.4, roundTo: 8 });
    const pruned = applyStructuredPlan(model, plan, { graph: dg });
    expect(planMacs(dg).of(plan)).toBe(await macsOf(pruned));
    expect(planParams(dg).of(plan)).toBe((await modelStats(pruned, { shapes: 'static' })).params);
  });
});

describe('parameter target', () => {
  const paramsOf = async (m: Parameters<typeof modelStats>[0]): Promise<number> => (await modelStats(m, { shapes: 'static' })).params;

  it('a parameter target: pruneStructured keeps at most that fraction, one channel step from it', async () => {
    const model = buildZooModel('resnet-small');
    const dense = await paramsOf(model);
    for (const keep of [0.7, 0.4]) {
      const r = await pruneStructured(model, { criterion: 'l2', target: { kind: 'params', keep } });
      const after = await paramsOf(r.model);
      expect(r.params).toEqual({ dense, pruned: after });
      expect(after).toBeLessThanOrEqual(keep * dense);
      expect(after).toBeGreaterThan((keep - 0.05) * dense);
    }
    await expect(pruneStructured(model, { criterion: 'l2', target: { kind: 'params', keep: 0.001 }, roundTo: 8 })).rejects.toMatchObject({ code: 'PRUNE_TARGET' });
    await expect(pruneStructured(model, { criterion: 'l2', target: { kind: 'params', keep: 0 } })).rejects.toThrow("'targetParams' must be in (0, 1], got 0.");
  });
});

describe('planToTarget', () => {
  const model = buildZooModel('resnet-small');
  const dg = buildDependencyGraph(model);
  const scores = scoreGroups(dg, { criterion: 'l1' });
  const macs = planMacs(dg);

  it('finds the smallest ratio whose plan meets the target', () => {
    for (const keep of [0.8, 0.5, 0.3]) {
      const r = planToTarget(dg, scores, { cost: (p) => macs.of(p), target: keep * macs.dense, roundTo: 1 });
      expect(r.reached).toBe(true);
      expect(r.cost).toBeLessThanOrEqual(keep * macs.dense);
      expect(r.cost).toBe(macs.of(r.plan));
      expect(r.plan).toEqual(planByRatio(dg, scores, { ratio: r.ratio, roundTo: 1 }));
      // A ratio a bit smaller keeps one more channel somewhere and misses the target.
      expect(macs.of(planByRatio(dg, scores, { ratio: r.ratio - 1e-3, roundTo: 1 }))).toBeGreaterThan(keep * macs.dense);
    }
  });

  it('reports an unreachable target with the most pruned plan; no work for a target above dense', () => {
    const r = planToTarget(dg, scores, { cost: (p) => macs.of(p), target: 0.001 * macs.dense, roundTo: 8 });
    expect(r.reached).toBe(false);
    expect(r.cost).toBeGreaterThan(0.001 * macs.dense);
    expect(planToTarget(dg, scores, { cost: (p) => macs.of(p), target: macs.dense }).plan.groups).toEqual([]);
    expect(() => planToTarget(dg, scores, { cost: () => 0, target: -1 })).toThrow("'target' must be a finite number >= 0, got -1.");
    expect(() => planToTarget(dg, scores, { cost: () => 0, target: 1, steps: 0 })).toThrow("'steps' must be an integer in [1, 60], got 0.");
  });
});

describe('global scope', () => {
  const model = buildZooModel('lenet5');   // groups: conv1 20, conv2 50, fc1 500 channels (the classifier is a sink)
  const dg = buildDependencyGraph(model);
  const eligible = dg.groups.filter((g) => !g.blocked);

  it('removes the lowest ratio of all channels ranked together, wherever they are', () => {
    // Scores made so that conv2's channels are all lower than every other channel: a global 10% takes them first.
    const scores = new Map(eligible.map((g) => [g.id, Float32Array.from({ length: g.channels }, (_, c) => (g.channels === 50 ? 0 : 1) + c * 1e-3)]));
    const total = eligible.reduce((a, g) => a + g.channels, 0);
    const plan = planByRatio(dg, scores, { ratio: 0.1, scope: 'global' });
    const removed = new Map(plan.groups.map((e) => [e.id, e.prune]));
    const conv2 = eligible.find((g) => g.channels === 50)!;
    // 57 of 570 go: conv2's 50 first, of which one stays (a group keeps at least one channel), then 7 more elsewhere.
    expect(Math.floor(0.1 * total)).toBe(57);
    expect(removed.get(conv2.id)).toHaveLength(49);
    expect(plan.groups.reduce((a, e) => a + e.prune.length, 0)).toBe(56);
    // Layer scope with the same scores takes 10% of every group instead.
    const layer = planByRatio(dg, scores, { ratio: 0.1 });
    for (const g of eligible) expect(layer.groups.find((e) => e.id === g.id)?.prune.length ?? 0).toBe(g.channels - Math.round(g.channels * 0.9));
  });

  it('keeps rounded counts and at least one block per group; a global MAC target is reached and counted right', async () => {
    const scores = scoreGroups(dg, { criterion: 'l2', normalize: 'mean' });
    const plan = planByRatio(dg, scores, { ratio: 0.9, scope: 'global', roundTo: 8 });
    for (const e of plan.groups) {
      const g = dg.groups[e.id]!;
      const kept = g.channels - e.prune.length;
      expect(kept % 8 === 0 || kept === g.channels).toBe(true);
      expect(kept).toBeGreaterThanOrEqual(8);
    }
    const r = await pruneStructured(model, { criterion: 'l2', normalize: 'mean', scope: 'global', target: { kind: 'macs', keep: 0.5 }, roundTo: 4 });
    expect(r.macs.pruned).toBeLessThanOrEqual(0.5 * r.macs.dense);
    expect(r.macs.pruned).toBe(await macsOf(r.model));
    const perGroup = r.plan.groups.map((e) => e.prune.length / dg.groups[e.id]!.channels);
    expect(Math.max(...perGroup) - Math.min(...perGroup)).toBeGreaterThan(0.05);   // groups end at different ratios
    expect(() => planByRatio(dg, scores, { ratio: 0.5, scope: 'everywhere' as 'global' })).toThrow("'scope' must be layer or global, got 'everywhere'.");
  });
});

describe('group kinds', () => {
  it('conv channels, fully-connected neurons, attention heads; plans restricted to kinds', () => {
    const lenet = buildDependencyGraph(buildZooModel('lenet5'));
    expect(lenet.groups.map((g) => groupKind(lenet, g))).toEqual(['channels', 'channels', 'neurons', 'neurons']);
    const scores = scoreGroups(lenet);
    expect(planByRatio(lenet, scores, { ratio: 0.5, kinds: ['neurons'] }).groups.map((g) => g.id)).toEqual([2]);
    expect(planByRatio(lenet, scores, { ratio: 0.5, kinds: ['channels'] }).groups.map((g) => g.id)).toEqual([0, 1]);
    const vit = buildDependencyGraph(buildZooModel('vit-tiny'));
    expect(vit.groups.filter((g) => !g.blocked).map((g) => groupKind(vit, g))).toEqual(['heads', 'neurons', 'heads', 'neurons']);
  });
});
