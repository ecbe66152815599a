/**
 * Zero-channel equivalence on real exports: torchvision mobilenet_v2, vgg11_bn, densenet121, efficientnet_b0,
 * vit_b_16 and a BERT-style encoder (fixtures/torchvision/, structure-only: weights restored with seeded values by
 * test/helpers/weights.ts). For each: the groups found and the blocked ones (with their reasons on failure), then
 * every unblocked group pruned at once (25% or 50% of its channels or heads) must compute what the original computes
 * with those channels' sink columns zeroed, with output names and shapes kept and the planned parameters gone.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Model } from '../../../src/ir/graph.js';
import { loadModel } from '../../../src/onnx/index.js';
import { applyStructuredPlan, buildDependencyGraph, type DependencyGraph, type StructuredPlan } from '../../../src/prune/structure/index.js';
import type { Feeds } from '../../../src/runtime/index.js';
import { Rng } from '../../../src/util/rng.js';
import { restoreStrippedWeights } from '../../helpers/weights.js';
import { expectedParams, paramCount, runModel, zeroSinks } from './helpers.js';

const DIR = join(import.meta.dirname, '../../../fixtures/torchvision');

/** Relative tolerance of the equivalence: |pruned - reference| <= TOL · max(1, max |reference|). */
const TOL = 1e-4;

interface Case {
  readonly name: string;
  readonly groups: number;
  /** The groups that must be blocked, by name, with their distinct reasons (`opType: reason`). */
  readonly blocked: Readonly<Record<string, readonly string[]>>;
  /** Channels per group of some groups, by name (heads for attention). */
  readonly channels: Readonly<Record<string, number>>;
  /** Some param members of some groups, as `tensor@axis:role`: how far the channels propagate. */
  readonly members?: Readonly<Record<string, readonly string[]>>;
  /** Inputs per run (random images or token sequences). */
  readonly batch: number;
}

/** The reason a group reaching a graph output is blocked with, at the node producing it. */
const output = (opType: string, name: string): string => `${opType}: reaches graph output '${name}': its shape would change`;

const CASES: readonly Case[] = [
  {
    name: 'mobilenet_v2', groups: 26, batch: 4,
    blocked: { '/classifier/classifier.1/Gemm': [output('Gemm', 'output')] },
    channels: { '/features/features.2/conv/conv.2/Conv': 24, '/features/features.18/features.18.0/Conv': 1280 },
  },
  {
    name: 'vgg11_bn', groups: 11, batch: 1,
    blocked: { '/classifier/classifier.6/Gemm': [output('Gemm', 'output')] },
    channels: { '/features/features.25/Conv': 512, '/classifier/classifier.0/Gemm': 4096 },
  },
  {
    name: 'densenet121', groups: 121, batch: 3,
    blocked: { '/classifier/Gemm': [output('Gemm', 'output')] },
    channels: { '/features/conv0/Conv': 64, '/features/transition3/conv/Conv': 512, '/features/denseblock4/denselayer16/conv2/Conv': 32 },
    // Through the chain of 16 Concats of dense block 4: the first 512 inputs of every later layer and the classifier.
    members: {
      '/features/transition3/conv/Conv': ['features.denseblock4.denselayer16.norm1.weight@0:scale', 'features.denseblock4.denselayer16.conv1.weight@1:sink',
        'features.norm5.running_var@0:stat', 'classifier.weight@1:sink'],
    },
  },
  {
    name: 'efficientnet_b0', groups: 41, batch: 4,
    blocked: { '/classifier/classifier.1/Gemm': [output('Gemm', 'output')] },
    channels: { '/features/features.1/features.1.0/block/block.1/fc1/Conv': 8, '/features/features.6/features.6.0/block/block.3/block.3.0/Conv': 192 },
    // Squeeze-excitation: the gate ([N,C,1,1], the second SE conv) multiplies the expanded channels, so it is a source of their group.
    members: {
      '/features/features.2/features.2.1/block/block.0/block.0.0/Conv': ['features.2.1.block.1.0.weight@0:channel', 'features.2.1.block.2.fc1.weight@1:sink',
        'features.2.1.block.2.fc2.weight@0:source', 'features.2.1.block.2.fc2.bias@0:channel', 'features.2.1.block.3.0.weight@1:sink'],
    },
  },
  {
    name: 'vit_b_16', groups: 26, batch: 3,
    blocked: {
      // The residual stream (patch embedding, class token, position embedding, every block's output projections):
      // only the LayerNorms stop it, not the class-token Concat, the Expand or the position Add.
      '/conv_proj/Conv': ['LayerNormalization: LayerNormalization normalizes over axis 2, the channel axis: removing channels changes the mean and variance of the kept ones (residual-stream pruning is not supported)'],
      '/heads/head/Gemm': [output('Gemm', 'output')],
    },
    channels: { '/encoder/layers/encoder_layer_0/self_attention/MatMul': 12, '/encoder/layers/encoder_layer_11/mlp/mlp.0/MatMul': 3072 },
    members: {
      '/conv_proj/Conv': ['class_token@2:channel', 'encoder.pos_embedding@2:channel'],
      // Heads of the fused in_proj (Slice bounds from Shape arithmetic, heads merged into the batch axis).
      '/encoder/layers/encoder_layer_0/self_attention/MatMul': ['encoder.layers.encoder_layer_0.self_attention.in_proj_bias@0:channel',
        'encoder.layers.encoder_layer_0.self_attention.out_proj.weight@1:sink'],
    },
  },
  {
    name: 'bert_tiny', groups: 6, batch: 3,
    blocked: {
      // The residual stream, normalized by decomposed LayerNorms (ReduceMean over the hidden axis).
      '/layers.0/attention_output/MatMul': [
        'ReduceMean: ReduceMean reduces over the channel axis 2: removing channels changes the result (a decomposed normalization?)',
        output('Add', 'last_hidden_state'),
      ],
      '/pooler/Gemm': [output('Tanh', 'pooler_output')],
    },
    channels: { '/layers.0/attention/query/MatMul': 4, '/layers.1/intermediate/MatMul': 1024 },
    // Heads of Q, K and V (reshape targets from Shape/Gather chains over dims shape inference loses).
    members: { '/layers.0/attention/query/MatMul': ['layers.0.attention.query.bias@0:channel', 'layers.0.attention.key.bias@0:channel', 'layers.0.attention.value.bias@0:channel'] },
  },
];

/** Every unblocked group loses 25% (even ids) or 50% (odd ids) of its channels, at least one, chosen by a seeded shuffle. */
function mixedPlan(dg: DependencyGraph, seed: number): StructuredPlan {
  const rng = new Rng(seed);
  return {
    groups: dg.groups.filter((g) => !g.blocked && g.channels > 1).map((g) => {
      const k = Math.min(g.channels - 1, Math.max(1, Math.floor(g.channels * (g.id % 2 === 0 ? 0.25 : 0.5))));
      const order = Array.from({ length: g.channels }, (_, i) => i);
      rng.shuffle(order);
      return { id: g.id, prune: order.slice(0, k).sort((a, b) => a - b) };
    }),
  };
}

/** Seeded inputs: images N(0, 1); token ids in [0, 1000), token types 0/1, an attention mask with padding. */
function feedsFor(model: Model, batch: number, seed: number, seq = 12): Feeds {
  const rng = new Rng(seed);
  const feeds: Record<string, Feeds[string]> = {};
  for (const v of model.graph.inputs) {
    const dims = (v.shape ?? []).map((d) => (typeof d === 'number' ? d : d === 'T' ? seq : batch));
    const n = dims.reduce((a, b) => a * b, 1);
    if (v.dtype === 'float32') { feeds[v.name] = { dtype: 'float32', dims, data: Float32Array.from({ length: n }, () => rng.normal()) }; continue; }
    // Sample b of the batch ends with 3·b padding tokens.
    const attended = (i: number): number => Number(i % seq < seq - 3 * Math.floor(i / seq));
    const value = (i: number): number => (v.name === 'input_ids' ? rng.nextInt(1000) : v.name === 'attention_mask' ? attended(i) : rng.nextInt(2));
    feeds[v.name] = { dtype: 'int64', dims, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(value(i))) };
  }
  return feeds;
}

type Outputs = Awaited<ReturnType<typeof runModel>>;

/** Largest |a - b| and largest |a| over all outputs, and whether both have the same output names and dims. */
function compare(a: Outputs, b: Outputs): { diff: number; ref: number; sameShapes: boolean } {
  let [diff, ref, sameShapes] = [0, 0, Object.keys(a).join() === Object.keys(b).join()];
  for (const [k, x] of Object.entries(a)) {
    const y = b[k];
    if (!y || x.dims.join() !== y.dims.join()) { sameShapes = false; continue; }
    for (let i = 0; i < x.data.length; i++) {
      diff = Math.max(diff, Math.abs(x.data[i]! - y.data[i]!));
      ref = Math.max(ref, Math.abs(x.data[i]!));
    }
  }
  return { diff, ref, sameShapes };
}

/** Standard deviation of every output together, and whether all values are finite. */
function spread(out: Outputs): { std: number; finite: boolean } {
  let [n, s, s2, finite] = [0, 0, 0, true];
  for (const o of Object.values(out)) {
    for (const x of o.data) { n++; s += x; s2 += x * x; finite &&= Number.isFinite(x); }
  }
  return { std: Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)), finite };
}

/** Blocked groups by name, each with its distinct reasons. */
function blockedGroups(dg: DependencyGraph): Record<string, string[]> {
  return Object.fromEntries(dg.groups.filter((g) => g.blocked).map((g) => [g.name, [...new Set(g.blocks.map((b) => `${b.opType}: ${b.reason}`))]]));
}

describe.each(CASES)('torchvision fixture $name (structure-only, seeded weights)', (c) => {
  it('prunes every unblocked group; equals the zero-channel reference', async () => {
    const model = restoreStrippedWeights(await loadModel(join(DIR, `${c.name}.onnx`)));
    const dg = buildDependencyGraph(model);
    expect(blockedGroups(dg), JSON.stringify(blockedGroups(dg), null, 2)).toEqual(c.blocked);
    expect(dg.groups.length).toBe(c.groups);
    const byName = Object.fromEntries(dg.groups.map((g) => [g.name, g.channels]));
    expect(Object.fromEntries(Object.keys(c.channels).map((k) => [k, byName[k]]))).toEqual(c.channels);
    for (const [name, want] of Object.entries(c.members ?? {})) {
      const g = dg.groups.find((x) => x.name === name)!;
      expect(g.members.map((m) => `${m.tensor}@${m.axis}:${m.role}`), name).toEqual(expect.arrayContaining([...want]));
    }

    const plan = mixedPlan(dg, 3);
    const pruned = applyStructuredPlan(model, plan, { graph: dg });
    expect(pruned.graph.outputs.map((v) => [v.name, v.shape])).toEqual(model.graph.outputs.map((v) => [v.name, v.shape]));
    const params = paramCount(pruned);
    expect(params).toBe(expectedParams(model, dg, plan));
    expect(params).toBeLessThan(paramCount(model));

    const feeds = feedsFor(model, c.batch, 7);
    const original = await runModel(model, feeds);
    const reference = await runModel(zeroSinks(model, dg, plan), feeds);
    const result = await runModel(pruned, feeds);
    // Sane activations: finite, not collapsed; and the removed channels mattered (the reference is not the original).
    expect(spread(original)).toMatchObject({ finite: true });
    expect(spread(original).std).toBeGreaterThan(1e-2);
    expect(compare(reference, original).diff).toBeGreaterThan(1e-3);
    const r = compare(reference, result);
    expect(r.sameShapes).toBe(true);
    expect(r.diff).toBeLessThanOrEqual(TOL * Math.max(1, r.ref));
  });
});
