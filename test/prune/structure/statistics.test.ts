/**
 * The data-aware group criteria against direct measurements on the trained LeNet-5 (models/lenet5-mnist.onnx, no
 * BatchNorm, so the gradient graph and inference compute the same function):
 * - Taylor's per-batch member sums are the first-order coefficient of the loss when every weight of channel c is
 *   scaled by (1 − ε): checked against central differences of onnxruntime losses, channel by channel.
 * - Fisher is ½·mean_i (∂ℓ_i/∂m_c)² with one-sample batches: checked against per-sample central differences in the
 *   channel mask m_c; it must rank channels like the second-order coefficient ½·∂²L/∂m_c² (finite differences).
 * - activation scores equal per-channel means computed from independently captured tensors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, take, type Dataset } from '../../../src/data/index.js';
import { cloneModel } from '../../../src/ir/clone.js';
import type { Model } from '../../../src/ir/graph.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { loadModel } from '../../../src/onnx/index.js';
import {
  buildDependencyGraph, collectGroupStatistics, scoreGroups, type DependencyGraph, type GradientStatistics, type Member,
} from '../../../src/prune/structure/index.js';
import { addByChannel } from '../../../src/prune/structure/per-channel.js';
import { createSession, crossEntropy, exposeValues } from '../../../src/runtime/index.js';

const MODEL = new URL('../../../models/lenet5-mnist.onnx', import.meta.url).pathname;
let model: Model;
let dg: DependencyGraph;
let calib: Dataset;

beforeAll(async () => {
  model = await loadModel(MODEL);
  dg = buildDependencyGraph(model);
  calib = take(await loadMnist({ split: 'train' }), 64);
});

/** Per-sample cross-entropy of `m` on the samples. */
async function losses(m: Model, ds: Dataset): Promise<Float64Array> {
  const s = await createSession(m);
  try {
    const out = await s.run({ input: { dtype: 'float32', dims: [ds.count, 1, 28, 28], data: ds.x } });
    const logits = out[s.outputNames[0]!]!.data as Float32Array;
    return Float64Array.from({ length: ds.count }, (_, r) => crossEntropy(logits, r, 10, ds.y[r]!));
  } finally {
    await s.release();
  }
}

/** A copy with channel `c`'s elements of the given members multiplied by `f`. */
function scaleChannel(members: readonly Member[], c: number, f: number): Model {
  const copy = cloneModel(model);
  for (const m of members) {
    const v = copy.graph.requireValue(m.tensor);
    const t = v.constant!;
    const data = t.toFloat32();
    const len = t.dims[m.axis]!;
    const inner = t.dims.slice(m.axis + 1).reduce((a, b) => a * b, 1);
    const own = new Set(m.indexMap.positions[c]);
    for (let i = 0; i < data.length; i++) if (own.has((Math.floor(i / inner) % len) % m.indexMap.period)) data[i]! *= f;
    v.constant = Tensor.fromTyped('float32', t.dims, data);
  }
  return copy;
}

const mean = (xs: ArrayLike<number>, from = 0, to = xs.length): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  return s / (to - from);
};

function spearman(a: readonly number[], b: readonly number[]): number {
  const rank = (v: readonly number[]): number[] => {
    const r = new Array<number>(v.length);
    v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]).forEach(([, i], k) => { r[i] = k; });
    return r;
  };
  const [ra, rb] = [rank(a), rank(b)];
  const n = a.length;
  const d = ra.reduce((s, x, i) => s + (x - rb[i]!) ** 2, 0);
  return 1 - (6 * d) / (n * (n * n - 1));
}

describe('taylor', () => {
  it('per-batch member sums are the first-order loss change of scaling the channel (central differences)', async () => {
    const stats = await collectGroupStatistics(model, dg, calib, { criterion: 'taylor', batches: 4, batchSize: 16 }) as GradientStatistics;
    const g = dg.groups[1]!;   // conv2: 50 channels; members conv2/weight rows, conv2/bias, fc1/weight columns
    const scores = scoreGroups(dg, { criterion: 'taylor', statistics: stats }).get(1)!;
    expect(scores.length).toBe(50);
    const params = g.members.filter((m) => m.kind === 'param');
    expect(stats.groups.get(1)!.map((s) => s.tensor).sort()).toEqual(params.map((m) => m.tensor).sort());
    const h = 1e-2;
    const top = Math.max(...scores);
    for (const c of [0, 3, 7, 12, 21, 30, 44, 49]) {
      const [up, down] = [await losses(scaleChannel(params, c, 1 + h), calib), await losses(scaleChannel(params, c, 1 - h), calib)];
      let fd = 0;
      for (let b = 0; b < 4; b++) {
        const a = (mean(up, 16 * b, 16 * b + 16) - mean(down, 16 * b, 16 * b + 16)) / (2 * h);   // d/dε L_b(θ + ε·θ_c) = Σ w·g_b
        const direct = stats.groups.get(1)!.reduce((s, m) => s + m.values[b * 50 + c]!, 0);
        expect(Math.abs(direct - a)).toBeLessThan(0.02 * Math.abs(a) + 1e-7);
        fd += a * a / 4;
      }
      expect(Math.abs(scores[c]! - fd)).toBeLessThan(0.04 * fd + 1e-4 * top);
    }
  });

  it('reductions act on the signed member terms before squaring; normalization rescales per group', async () => {
    const stats = await collectGroupStatistics(model, dg, calib, { criterion: 'taylor', batches: 2, batchSize: 16 });
    const sum = scoreGroups(dg, { criterion: 'taylor', statistics: stats }).get(2)!;
    const meanR = scoreGroups(dg, { criterion: 'taylor', statistics: stats, reduction: 'mean' }).get(2)!;
    const members = (stats as GradientStatistics).groups.get(2)!.length;   // fc1/weight, fc1/bias, fc2/weight
    expect(members).toBe(3);
    for (const c of [0, 100, 499]) expect(meanR[c]).toBeCloseTo(sum[c]! / members ** 2, 12);
    const max = scoreGroups(dg, { criterion: 'taylor', statistics: stats, reduction: 'max', normalize: 'max' }).get(2)!;
    expect(Math.max(...max)).toBeCloseTo(1, 6);
    const z = scoreGroups(dg, { criterion: 'taylor', statistics: stats, normalize: 'standardize' }).get(2)!;
    expect(mean(z)).toBeCloseTo(0, 5);
    expect(Math.sqrt(mean(z.map((x) => x * x)))).toBeCloseTo(1, 4);
  });
});

describe('fisher', () => {
  it('is ½·mean_i (∂ℓ_i/∂m_c)² of a mask on the sink columns, and ranks channels like ½·∂²L/∂m_c²', async () => {
    const ds = take(calib, 48);
    const stats = await collectGroupStatistics(model, dg, ds, { criterion: 'fisher', batches: 48, batchSize: 1 });
    const g = dg.groups[1]!;
    const sinks = g.members.filter((m) => m.role === 'sink');
    expect((stats as GradientStatistics).groups.get(1)!.map((s) => s.tensor)).toEqual(sinks.map((m) => m.tensor));
    const fisher = scoreGroups(dg, { criterion: 'fisher', statistics: stats }).get(1)!;
    const base = mean(await losses(model, ds));
    const [firstOrder, secondOrder] = [[] as number[], [] as number[]];
    for (let c = 0; c < g.channels; c++) {
      const [up, down] = [await losses(scaleChannel(sinks, c, 1.05), ds), await losses(scaleChannel(sinks, c, 0.95), ds)];
      const perSample = Array.from(up, (u, i) => (u - down[i]!) / 0.1);
      firstOrder.push(0.5 * mean(perSample.map((d) => d * d)));
      secondOrder.push(0.5 * (mean(up) - 2 * base + mean(down)) / 0.05 ** 2);
    }
    const top = Math.max(...firstOrder);
    firstOrder.forEach((f, c) => expect(Math.abs(fisher[c]! - f)).toBeLessThan(0.03 * f + 1e-3 * top));
    expect(spearman([...fisher], secondOrder)).toBeGreaterThan(0.7);
  });
});

describe('activation', () => {
  it('mean |a| and ‖a‖₂ per channel where the consumers read it, from independently captured tensors', async () => {
    const ds = take(calib, 40);
    const stats = await collectGroupStatistics(model, dg, ds, { criterion: 'activation', samples: 40 });
    const meanAbs = scoreGroups(dg, { criterion: 'activation', statistics: stats });
    const l2 = scoreGroups(dg, { criterion: 'activation', statistics: stats, activationNorm: 'l2' });
    const s = await createSession(exposeValues(model, ['conv1/MaxPool', 'Flatten', 'fc1/Relu']));
    const out = await s.run({ input: { dtype: 'float32', dims: [40, 1, 28, 28], data: ds.x } });
    await s.release();
    // conv1 (group 0) is read by conv2 after the pool: [40, 20, 12, 12]; conv2 (group 1) by fc1 after Flatten: 16
    // consecutive features per channel; fc1 (group 2) by fc2 after Relu.
    const cases: [number, string, number, (j: number) => number][] = [
      [0, 'conv1/MaxPool', 20, (j) => Math.floor(j / 144) % 20], [1, 'Flatten', 50, (j) => Math.floor((j % 800) / 16)], [2, 'fc1/Relu', 500, (j) => j % 500],
    ];
    for (const [id, name, channels, channelOf] of cases) {
      const a = out[name]!.data as Float32Array;
      const [abs, sq, n] = [new Float64Array(channels), new Float64Array(channels), new Float64Array(channels)];
      a.forEach((x, j) => { const c = channelOf(j); abs[c]! += Math.abs(x); sq[c]! += x * x; n[c]!++; });
      const [gotMean, gotL2] = [meanAbs.get(id)!, l2.get(id)!];
      expect(gotMean.length).toBe(channels);
      for (let c = 0; c < channels; c++) {
        expect(gotMean[c]).toBeCloseTo(abs[c]! / n[c]!, 4);
        expect(Math.abs(gotL2[c]! - Math.sqrt(sq[c]!))).toBeLessThan(1e-4 * Math.sqrt(sq[c]!) + 1e-6);
      }
    }
  });
});

describe('addByChannel', () => {
  it('sums each channel\'s elements along the member axis (TSDoc example), with counts', () => {
    const [out, counts] = [new Float64Array(2), new Float64Array(2)];
    addByChannel(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], 1, { length: 3, period: 3, positions: [[0], [1, 2]] }, 'value', out, counts);
    expect([...out, ...counts]).toEqual([5, 16, 2, 4]);
    const sq = new Float64Array(2);
    addByChannel(new Float32Array([1, -2, 3, -4]), [4], 0, { length: 4, period: 2, positions: [[0], [1]] }, 'square', sq);   // period 2 repeats
    expect([...sq]).toEqual([10, 20]);
  });
});

describe('errors', () => {
  it('a data criterion without its statistics, and too little data, are named', async () => {
    expect(() => scoreGroups(dg, { criterion: 'taylor' })).toThrow(/criterion 'taylor' needs gradient statistics of the 'all' members from collectGroupStatistics/);
    const act = await collectGroupStatistics(model, dg, take(calib, 4), { criterion: 'activation' });
    expect(() => scoreGroups(dg, { criterion: 'fisher', statistics: act })).toThrow(/criterion 'fisher' needs gradient statistics of the 'sinks' members .* got 'activations' statistics/);
    await expect(collectGroupStatistics(model, dg, take(calib, 10), { criterion: 'taylor', batchSize: 32 }))
      .rejects.toThrow(/the 'taylor' criterion needs at least one batch of 32 samples; the calibration data holds 10/);
    await expect(collectGroupStatistics(model, dg, calib, { criterion: 'fisher', batches: 0 })).rejects.toThrow("'batches' must be an integer >= 1, got 0.");
  });
});
