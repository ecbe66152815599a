import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../../src/errors.js';
import { encodeModel } from '../../../src/onnx/index.js';
import {
  applyStructuredPlan, buildDependencyGraph, describeGroups, planByRatio, roundKept, scoreGroups,
} from '../../../src/prune/structure/index.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { randomizeVectors } from './helpers.js';

const lenet = buildZooModel('lenet-300-100');
const lenetDg = buildDependencyGraph(lenet);

function sumAbs(values: Float32Array, pick: (i: number) => boolean): number {
  let s = 0;
  values.forEach((x, i) => { if (pick(i)) s += Math.abs(x); });
  return s;
}

describe('scoreGroups', () => {
  it('l1: Σ|w| over the source row, the bias and the sink column of each channel', () => {
    const s = scoreGroups(lenetDg).get(0)!;
    const w1 = lenet.graph.requireValue('fc1/weight').constant!.toFloat32();
    const b1 = lenet.graph.requireValue('fc1/bias').constant!.toFloat32();
    const w2 = lenet.graph.requireValue('fc2/weight').constant!.toFloat32();
    const c = 17;
    const want = sumAbs(w1, (i) => Math.floor(i / 784) === c) + Math.abs(b1[c]!) + sumAbs(w2, (i) => i % 300 === c);
    expect(s.length).toBe(300);
    expect(s[c]).toBeCloseTo(want, 3);
    expect(scoreGroups(lenetDg).has(2)).toBe(false);
  });

  it('reductions: max <= sum, mean = sum / members', () => {
    const sum = scoreGroups(lenetDg, { criterion: 'l2' }).get(1)!;
    const mean = scoreGroups(lenetDg, { criterion: 'l2', reduction: 'mean' }).get(1)!;
    const max = scoreGroups(lenetDg, { criterion: 'l2', reduction: 'max' }).get(1)!;
    expect(mean[5]).toBeCloseTo(sum[5]! / 3, 5);
    expect(max[5]).toBeLessThanOrEqual(sum[5]!);
  });

  it('bn-scale: |gamma| of the BatchNorm members; l1 fallback without one', () => {
    const model = randomizeVectors(buildZooModel('resnet-small'));
    const dg = buildDependencyGraph(model);
    const gamma = model.graph.requireValue('layer1/conv1/bn/scale').constant!.toFloat32();
    expect([...scoreGroups(dg, { criterion: 'bn-scale' }).get(1)!]).toEqual([...gamma].map(Math.abs));
    expect(scoreGroups(lenetDg, { criterion: 'bn-scale' }).get(0)).toEqual(scoreGroups(lenetDg).get(0));
  });

  it('random: seeded', () => {
    const a = scoreGroups(lenetDg, { criterion: 'random', seed: 3 }).get(0)!;
    expect(scoreGroups(lenetDg, { criterion: 'random', seed: 3 }).get(0)).toEqual(a);
    expect(scoreGroups(lenetDg, { criterion: 'random', seed: 4 }).get(0)).not.toEqual(a);
  });
});

describe('plans', () => {
  it('roundKept rounds up to a multiple (TSDoc examples)', () => {
    expect([roundKept(13, 8), roundKept(0, 8), roundKept(5, 1), roundKept(16, 16)]).toEqual([16, 8, 5, 16]);
    expect(() => roundKept(3, 0)).toThrow(RangeError);
  });

  it('planByRatio removes the lowest scores, keeps rounded counts, and honours protect', () => {
    const scores = scoreGroups(lenetDg);
    const plan = planByRatio(lenetDg, scores, { ratio: 0.5, roundTo: 8 });
    expect(plan.groups.map((g) => [g.id, g.prune.length])).toEqual([[0, 148], [1, 44]]);
    const s = scores.get(1)!;
    const kept = Array.from({ length: 100 }, (_, i) => i).filter((i) => !plan.groups[1]!.prune.includes(i));
    expect(Math.max(...plan.groups[1]!.prune.map((i) => s[i]!))).toBeLessThanOrEqual(Math.min(...kept.map((i) => s[i]!)));
    expect(planByRatio(lenetDg, scores, { ratio: 0.5, protect: /^fc1\// }).groups.map((g) => g.id)).toEqual([1]);
    expect(planByRatio(lenetDg, scores, { ratio: 0 }).groups).toEqual([]);
    expect(() => planByRatio(lenetDg, scores, { ratio: 1 })).toThrow("'ratio' must be in [0, 1), got 1.");
  });

  it('attention heads round by head width: half of 4 heads of 16 is 2 heads at roundTo 16', () => {
    const dg = buildDependencyGraph(buildZooModel('vit-tiny'));
    const plan = planByRatio(dg, scoreGroups(dg), { ratio: 0.5, roundTo: 16 });
    expect(plan.groups.map((g) => [g.id, g.prune.length])).toEqual([[1, 2], [2, 64], [3, 2], [4, 64]]);
  });

  it('rejects a bad plan, listing every problem', () => {
    const dg = buildDependencyGraph(buildZooModel('vit-tiny'));
    const bad = { groups: [{ id: 99, prune: [0] }, { id: 0, prune: [1] }, { id: 1, prune: [7, 2, 2] }, { id: 2, prune: Array.from({ length: 128 }, (_, i) => i) }] };
    let err: unknown;
    try { applyStructuredPlan(buildZooModel('vit-tiny'), bad, { graph: dg }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SecateursError);
    expect((err as SecateursError).code).toBe('PRUNE_PLAN');
    expect((err as SecateursError).message).toBe([
      'structured plan: 5 problems:',
      '  - group 99 does not exist (the graph has 6 groups)',
      "  - group 0 ('patch_embed/Conv') is blocked at 'block0/ln1/LayerNormalization' (LayerNormalization): LayerNormalization normalizes over axis 2, the channel axis: removing channels changes the mean and variance of the kept ones (residual-stream pruning is not supported)",
      '  - group 1: channel indices 7 are outside [0, 4)',
      '  - group 1: duplicate channel indices',
      '  - group 2: removes all 128 channels (keep at least one)',
    ].join('\n'));
  });
});

describe('determinism, describe, apply', () => {
  it('the same model gives the same groups and byte-identical pruned models; apply re-analyzes when not given a graph', () => {
    const model = buildZooModel('mobilenetv2-small');
    const a = buildDependencyGraph(model);
    const b = buildDependencyGraph(model);
    expect(JSON.stringify(a.groups)).toBe(JSON.stringify(b.groups));
    const plan = planByRatio(a, scoreGroups(a), { ratio: 0.5, roundTo: 8 });
    const x = encodeModel(applyStructuredPlan(model, plan, { graph: a }));
    const y = encodeModel(applyStructuredPlan(model, plan));
    expect(Buffer.compare(Buffer.from(x), Buffer.from(y))).toBe(0);
  });

  it('describeGroups: one row per group with MACs at stake and the blocked reason (TSDoc example)', () => {
    const dg = buildDependencyGraph(buildZooModel('lenet5'));
    const rows = describeGroups(dg);
    expect(rows.map((r) => [r.id, r.name, r.channels, r.status])).toEqual([
      [0, 'conv1/Conv', 20, 'prunable'], [1, 'conv2/Conv', 50, 'prunable'], [2, 'fc1/Gemm', 500, 'prunable'], [3, 'fc2/Gemm', 10, 'blocked'],
    ]);
    expect(rows[1]).toMatchObject({ sources: ['conv2/Conv'], sinks: ['fc1/Gemm'], params: 425_050, macs: 2_000_000 });
    expect(rows[1]!.members).toEqual(['conv2/Conv[1]', 'conv2/weight[0]', 'conv2/bias[0]', 'conv2/MaxPool[1]', 'Flatten[1]', 'fc1/weight[1]']);
    expect(rows[1]!.macShare).toBeCloseTo(2_000_000 / dg.macs, 6);
    expect(rows[3]!.reason).toBe("node 'fc2/Gemm' (Gemm): reaches graph output 'logits': its shape would change");
    expect(dg.macs).toBe(2_293_000);
  });
});
