import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Model } from '../../../src/ir/graph.js';
import { loadModel } from '../../../src/onnx/index.js';
import { applyStructuredPlan, buildDependencyGraph, type DependencyGraph } from '../../../src/prune/structure/index.js';
import { equivalence, randomizeVectors, randomPlan } from './helpers.js';

const DIR = join(import.meta.dirname, '../../../fixtures/pytorch');

async function fixture(name: string): Promise<{ model: Model; dg: DependencyGraph }> {
  const model = randomizeVectors(await loadModel(join(DIR, `${name}.onnx`)));
  return { model, dg: buildDependencyGraph(model) };
}

function summary(dg: DependencyGraph): [string, number, boolean][] {
  return dg.groups.map((g) => [g.name, g.channels, g.blocked !== undefined]);
}

async function expectEquivalent(model: Model, dg: DependencyGraph, seed: number, only?: number[]): Promise<void> {
  const r = await equivalence(model, dg, randomPlan(dg, seed, 0.5, only), 2);
  expect(r.shapesEqual).toBe(true);
  expect(r.diff).toBeLessThanOrEqual(1e-4 * Math.max(1, r.ref));
  expect(r.params).toBe(r.expectedParams);
}

describe('PyTorch fixtures', () => {
  it('mlp (opset 9 Gemm transB): two hidden groups', async () => {
    const { model, dg } = await fixture('mlp');
    expect(summary(dg)).toEqual([['/fc1/Gemm', 300, false], ['/fc2/Gemm', 100, false], ['/fc3/Gemm', 10, true]]);
    await expectEquivalent(model, dg, 1);
  });

  it('cnn_bn: conv+BN groups, the second flattened into the classifier (49 features per channel)', async () => {
    const { model, dg } = await fixture('cnn_bn');
    expect(summary(dg)).toEqual([
      ['/features/features.0/Conv', 8, false], ['/features/features.4/Conv', 16, false],
      ['/classifier/classifier.0/Gemm', 32, false], ['/classifier/classifier.3/Gemm', 10, true],
    ]);
    const fc = dg.groups[1]!.members.find((m) => m.tensor === 'classifier.0.weight')!;
    expect(fc.indexMap.positions[1]).toEqual(Array.from({ length: 49 }, (_, i) => 49 + i));
    await expectEquivalent(model, dg, 2);
  });

  it('convnet_constant: weights and scales in Constant nodes are sliced, the Reshape constant rewritten', async () => {
    const { model, dg } = await fixture('convnet_constant');
    expect(summary(dg)).toEqual([['/conv/Conv', 4, false], ['/fc/Gemm', 10, true]]);
    const pruned = applyStructuredPlan(model, { groups: [{ id: 0, prune: [1, 2] }] }, { graph: dg });
    const dims = (name: string): readonly number[] | undefined => {
      const a = pruned.graph.nodes.find((n) => n.opType === 'Constant' && n.output(0)!.name === name)?.attributes.get('value');
      return a?.type === 'tensor' ? a.value.dims : undefined;
    };
    expect(dims('fc.weight')).toEqual([10, 32]);
    expect(dims('/Constant_output_0')).toEqual([1, 2, 1, 1]);
    expect(pruned.graph.nodes.find((n) => n.opType === 'Reshape')!.input(1)!.constant!.toNumbers()).toEqual([-1, 32]);
    await expectEquivalent(model, dg, 3);
  });

  it('resnet18 (BN folded): 12 groups, residual stages coupled across blocks', async () => {
    const { model, dg } = await fixture('resnet18');
    expect(dg.groups.length).toBe(13);
    expect(dg.groups.filter((g) => g.blocked).map((g) => g.name)).toEqual(['/fc/Gemm']);
    expect(dg.groups.filter((g) => g.sources.length === 3).map((g) => g.channels)).toEqual([64, 128, 256, 512]);
    await expectEquivalent(model, dg, 4);
  });

  it('transformer_layer: heads of the fused QKV projection (Slice + Shape arithmetic), FFN; residual stream blocked', async () => {
    const { model, dg } = await fixture('transformer_layer');
    expect(summary(dg)).toEqual([['/layer/self_attn/MatMul', 4, false], ['/layer/self_attn/Gemm', 64, true], ['/layer/linear1/MatMul', 128, false]]);
    const heads = dg.groups[0]!;
    const qkv = heads.members.find((m) => m.tensor === 'onnx::MatMul_139')!;
    // Head 2 is features [32, 48) of each of Q, K and V in the fused [64, 192] weight.
    expect(qkv.indexMap.positions[2]).toEqual([32, 96, 160].flatMap((o) => Array.from({ length: 16 }, (_, i) => o + i)));
    expect(heads.sinks).toEqual(['/layer/self_attn/Gemm']);
    const reasons = dg.groups[1]!.blocks.map((b) => `${b.opType}: ${b.reason}`);
    expect(reasons).toContain("graph input: reaches graph input 'input': its shape is fixed by the caller");
    expect(reasons).toContain('ReduceMean: ReduceMean reduces over the channel axis 2: removing channels changes the result (a decomposed normalization?)');
    expect(dg.known.get('/layer/self_attn/Mul_output_0')).toEqual([64]);
    await expectEquivalent(model, dg, 5, [0]);
    await expectEquivalent(model, dg, 6, [2]);
    await expectEquivalent(model, dg, 7);
  });
});
