import { describe, expect, it } from 'vitest';
import { cloneModel } from '../../../src/ir/clone.js';
import { inferShapes } from '../../../src/ir/shapes/index.js';
import { applyStructuredPlan, buildDependencyGraph } from '../../../src/prune/structure/index.js';
import { buildZooModel, type ZooName } from '../../../src/zoo/index.js';
import { equivalence, randomizeVectors, randomPlan } from './helpers.js';

/** Per zoo model: [group name, channels, blocked] in id order. */
const EXPECTED: Readonly<Record<ZooName, readonly (readonly [string, number, boolean])[]>> = {
  'lenet-300-100': [['fc1/Gemm', 300, false], ['fc2/Gemm', 100, false], ['fc3/Gemm', 10, true]],
  lenet5: [['conv1/Conv', 20, false], ['conv2/Conv', 50, false], ['fc1/Gemm', 500, false], ['fc2/Gemm', 10, true]],
  'resnet-small': [
    ['stem/conv/conv/Conv', 16, false], ['layer1/conv1/conv/Conv', 16, false], ['layer2/conv1/conv/Conv', 32, false],
    ['layer2/conv2/conv/Conv', 32, false], ['layer3/conv1/conv/Conv', 64, false], ['layer3/conv2/conv/Conv', 64, false],
    ['fc/Gemm', 10, true],
  ],
  'mobilenetv2-small': [
    ['stem/conv/Conv', 16, false], ['block1/expand/conv/Conv', 64, false], ['block1/project/conv/Conv', 24, false],
    ['block2/expand/conv/Conv', 96, false], ['block3/expand/conv/Conv', 96, false], ['block3/project/conv/Conv', 32, false],
    ['block4/expand/conv/Conv', 128, false], ['head/conv/Conv', 128, false], ['fc/Gemm', 10, true],
  ],
  'vit-tiny': [
    ['patch_embed/Conv', 64, true], ['block0/attn/q/MatMul', 4, false], ['block0/mlp/fc1/MatMul', 128, false],
    ['block1/attn/q/MatMul', 4, false], ['block1/mlp/fc1/MatMul', 128, false], ['head/Gemm', 10, true],
  ],
};

describe.each(Object.keys(EXPECTED) as ZooName[])('zoo model %s', (name) => {
  const model = randomizeVectors(buildZooModel(name));
  const dg = buildDependencyGraph(model);

  it('has the expected groups', () => {
    expect(dg.groups.map((g) => [g.name, g.channels, g.blocked !== undefined])).toEqual(EXPECTED[name]);
  });

  it('every group pruned at once equals the zero-channel reference', async () => {
    const r = await equivalence(model, dg, randomPlan(dg, 11, 0.5));
    expect(r.shapesEqual).toBe(true);
    expect(r.diff).toBeLessThanOrEqual(1e-4 * Math.max(1, r.ref));
    expect(r.params).toBe(r.expectedParams);
  });

  it('each group alone equals the zero-channel reference', async () => {
    for (const g of dg.groups.filter((x) => !x.blocked)) {
      const r = await equivalence(model, dg, randomPlan(dg, 20 + g.id, 0.25, [g.id]), 2);
      expect(r.diff, `group ${g.id} (${g.name})`).toBeLessThanOrEqual(1e-4 * Math.max(1, r.ref));
      expect(r.params).toBe(r.expectedParams);
    }
  });
});

describe('zoo details', () => {
  it('vit-tiny: the residual stream is blocked by LayerNormalization, heads and FFN are not', () => {
    const dg = buildDependencyGraph(buildZooModel('vit-tiny'));
    expect(dg.groups[0]!.blocked).toEqual({
      node: 'block0/ln1/LayerNormalization', opType: 'LayerNormalization',
      reason: 'LayerNormalization normalizes over axis 2, the channel axis: removing channels changes the mean and variance of the kept ones (residual-stream pruning is not supported)',
    });
    const heads = dg.groups[1]!;
    expect([heads.unit, heads.sources, heads.sinks]).toEqual([16, ['block0/attn/q/MatMul', 'block0/attn/k/MatMul', 'block0/attn/v/MatMul'], ['block0/attn/proj/MatMul']]);
    expect(dg.rewrites.filter((r) => r.node.startsWith('block0/')).map((r) => r.node)).toEqual([
      'block0/attn/q/Reshape', 'block0/attn/k/Reshape', 'block0/attn/v/Reshape', 'block0/attn/Reshape',
    ]);
  });

  it('resnet-small: a residual group couples the stem with every block output of its stage', () => {
    const g = buildDependencyGraph(buildZooModel('resnet-small')).groups[0]!;
    expect(g.sources).toEqual(['stem/conv/conv/Conv', 'layer1/conv2/conv/Conv']);
    expect(g.sinks).toEqual(['layer1/conv1/conv/Conv', 'layer2/conv1/conv/Conv', 'layer2/downsample/conv/Conv']);
    expect(g.members.filter((m) => m.role === 'stat').length).toBe(4);
  });

  it.each(['vit-tiny', 'mobilenetv2-small'] as const)('%s: shape annotations stay consistent with the pruned graph', (name) => {
    const annotated = cloneModel(buildZooModel(name));
    inferShapes(annotated);
    const dg = buildDependencyGraph(annotated);
    const pruned = applyStructuredPlan(annotated, randomPlan(dg, 1, 0.5), { graph: dg });
    expect(inferShapes(cloneModel(pruned))).toMatchObject({ conflicts: [], unknown: [] });
  });

  it('mobilenetv2-small: a t=1 block couples the project conv weight on both axes', () => {
    const g = buildDependencyGraph(buildZooModel('mobilenetv2-small')).groups[0]!;
    expect(g.members.filter((m) => m.tensor === 'block0/project/conv/weight').map((m) => [m.axis, m.role])).toEqual([[0, 'source'], [1, 'sink']]);
  });
});
