/**
 * Least-squares recovery on the trained LeNet-5 (models/lenet5-mnist.onnx) with real MNIST digits: the refit
 * consumers' outputs move towards the original's on held-out images, and accuracy after removal + lsq beats removal
 * alone. Also the Conv (im2col), Gemm and MatMul paths, the skipped consumers and the Float64 solver.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, take, type Dataset } from '../../../src/data/index.js';
import { SecateursError } from '../../../src/errors.js';
import type { Model } from '../../../src/ir/graph.js';
import { loadModel } from '../../../src/onnx/index.js';
import {
  applyStructuredPlan, buildDependencyGraph, planByRatio, reconstructConsumers, scoreGroups, solveSpd, type DependencyGraph, type StructuredPlan,
} from '../../../src/prune/structure/index.js';
import { createSession, evaluate, exposeValues } from '../../../src/runtime/index.js';
import { Rng } from '../../../src/util/rng.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { recurrentGraph } from './graphs.js';

let model: Model;
let dg: DependencyGraph;
let calib: Dataset;
let heldOut: Dataset;

beforeAll(async () => {
  model = await loadModel(new URL('../../../models/lenet5-mnist.onnx', import.meta.url).pathname);
  dg = buildDependencyGraph(model);
  calib = take(await loadMnist({ split: 'train' }), 1024);
  heldOut = take(await loadMnist({ split: 'test' }), 2000);
});

/** The plan of the l2 criterion at `ratio`, restricted to the given groups. */
function planFor(ids: readonly number[], ratio = 0.5): StructuredPlan {
  const plan = planByRatio(dg, scoreGroups(dg, { criterion: 'l2' }), { ratio });
  return { groups: plan.groups.filter((g) => ids.includes(g.id)) };
}

/** Σ (a − b)² and Σ (b − mean b)² of one value of two models on the samples; `keep` picks b's channels on axis 1. */
async function outputError(a: Model, b: Model, value: string, ds: Dataset, keep?: readonly number[]): Promise<number> {
  const run = async (m: Model): Promise<{ data: Float32Array; dims: readonly number[] }> => {
    const s = await createSession(exposeValues(m, [value]));
    const out = await s.run({ input: { dtype: 'float32', dims: [ds.count, 1, 28, 28], data: ds.x } });
    await s.release();
    return { data: out[value]!.data as Float32Array, dims: out[value]!.dims };
  };
  const [ya, yb] = [await run(a), await run(b)];
  const [n, ca, cb] = [ya.dims[0]!, ya.dims[1]!, yb.dims[1]!];
  const inner = ya.data.length / (n * ca);
  const pick = keep ?? Array.from({ length: ca }, (_, c) => c);
  let [err, sum, sq, count] = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    pick.forEach((c, k) => {
      for (let j = 0; j < inner; j++) {
        const y = yb.data[(i * cb + c) * inner + j]!;
        err += (ya.data[(i * ca + k) * inner + j]! - y) ** 2;
        [sum, sq, count] = [sum + y, sq + y * y, count + 1];
      }
    });
  }
  return err / (sq - (sum * sum) / count);
}

describe('reconstructConsumers on LeNet-5', () => {
  it('Conv consumer (im2col): conv1 loses half its channels, conv2 is refit; held-out output error drops >10x', async () => {
    const plan = planFor([0]);
    const pruned = applyStructuredPlan(model, plan, { graph: dg });
    const r = await reconstructConsumers(model, pruned, dg, plan, calib, { samples: 256 });
    expect(r.layers).toEqual([expect.objectContaining({ node: 'conv2/Conv', opType: 'Conv', status: 'solved', unknowns: 10 * 25 + 1, outputs: 50, rows: 256 * 64 })]);
    const l = r.layers[0]!;
    expect(l.errorAfter!).toBeLessThan(l.errorBefore!);
    const [removed, lsq] = [await outputError(pruned, model, 'conv2/Conv', heldOut), await outputError(r.model, model, 'conv2/Conv', heldOut)];
    expect(Math.abs(removed - l.errorBefore!)).toBeLessThan(0.1 * removed);   // the Gram sums see what onnxruntime computes
    expect(lsq).toBeLessThan(removed / 10);
    // measured: removed 0.47, lsq 0.007 (in-sample 0.006)
  });

  it('50% of conv2 channels and fc1 neurons: accuracy after lsq > after removal alone (2,000 test digits)', async () => {
    const plan = planFor([1, 2]);
    const pruned = applyStructuredPlan(model, plan, { graph: dg });
    const r = await reconstructConsumers(model, pruned, dg, plan, calib, { samples: 1024 });
    expect(r.layers.map((l) => [l.node, l.status])).toEqual([['fc1/Gemm', 'solved'], ['fc2/Gemm', 'solved']]);
    for (const l of r.layers) expect(l.errorAfter!).toBeLessThan(l.errorBefore! / 10);
    const [dense, removed, lsq] = [await evaluate(model, heldOut), await evaluate(pruned, heldOut), await evaluate(r.model, heldOut)];
    // measured: dense 98.90%, removal 96.55%, removal + lsq 98.70%
    expect(lsq.top1).toBeGreaterThan(removed.top1 + 0.01);
    expect(lsq.top1).toBeGreaterThan(dense.top1 - 0.01);
    const kept = Array.from({ length: 10 }, (_, c) => c);
    expect(await outputError(r.model, model, 'logits', heldOut, kept)).toBeLessThan(0.25 * await outputError(pruned, model, 'logits', heldOut, kept));
  });
});

describe('reconstructConsumers paths', () => {
  it('MatMul consumer of a rank-3 activation (vit-tiny MLP); a conv after a depthwise conv; an LSTM consumer is skipped', async () => {
    const vit = buildZooModel('vit-tiny');
    const vdg = buildDependencyGraph(vit);
    const rng = new Rng(3);
    const data = { x: Float32Array.from({ length: 64 * 784 }, () => rng.normal()), count: 64, sampleShape: [1, 28, 28] };
    const plan = { groups: [{ id: 2, prune: Array.from({ length: 64 }, (_, i) => 2 * i) }] };   // half of block0's MLP neurons
    const pruned = applyStructuredPlan(vit, plan, { graph: vdg });
    const r = await reconstructConsumers(vit, pruned, vdg, plan, data, { samples: 64 });
    expect(r.layers).toEqual([expect.objectContaining({ node: 'block0/mlp/fc2/MatMul', status: 'solved', unknowns: 64, outputs: 64 })]);
    expect(r.layers[0]!.errorAfter!).toBeLessThan(r.layers[0]!.errorBefore!);

    // Removing expansion channels removes the matching depthwise channels; the 1x1 projection is the consumer.
    const mb = buildZooModel('mobilenetv2-small');
    const mdg = buildDependencyGraph(mb);
    const expand = mdg.groups.find((g) => g.name === 'block1/expand/conv/Conv')!;
    const mplan = { groups: [{ id: expand.id, prune: Array.from({ length: 32 }, (_, i) => 2 * i) }] };
    const m = await reconstructConsumers(mb, applyStructuredPlan(mb, mplan, { graph: mdg }), mdg, mplan, { ...data, count: 8 }, { samples: 8 });
    expect(m.layers).toEqual([expect.objectContaining({ node: 'block1/project/conv/Conv', status: 'solved', unknowns: 33, outputs: 24 })]);
    expect(m.layers[0]!.errorAfter!).toBeLessThan(m.layers[0]!.errorBefore!);

    const lstm = recurrentGraph('LSTM');
    const ldg = buildDependencyGraph(lstm);
    const lplan = { groups: [{ id: 0, prune: [1, 5] }] };   // 'embed' MatMul features, read by the LSTM
    const lr = await reconstructConsumers(lstm, applyStructuredPlan(lstm, lplan, { graph: ldg }), ldg, lplan, { x: data.x, count: 8, sampleShape: [5, 4] });
    expect(lr.layers).toEqual([{ node: ldg.groups[0]!.sinks[0], opType: 'LSTM', status: 'skipped', reason: "op 'LSTM' has no least-squares rule (Conv, Gemm and MatMul do)" }]);
  });

  it('rejects bad options', async () => {
    const plan = planFor([2]);
    const pruned = applyStructuredPlan(model, plan, { graph: dg });
    await expect(reconstructConsumers(model, pruned, dg, plan, calib, { ridge: -1 })).rejects.toThrow("'ridge' must be a finite number >= 0, got -1.");
    await expect(reconstructConsumers(model, pruned, dg, plan, calib, { samples: 0 })).rejects.toThrow("'samples' must be an integer >= 1, got 0.");
  });
});

describe('solveSpd', () => {
  it('solves SPD systems in Float64 (TSDoc example) and names a non-positive pivot', () => {
    expect([...solveSpd(new Float64Array([4, 2, 2, 3]), 2, new Float64Array([2, 1]), 1)]).toEqual([0.5, 0]);
    const rng = new Rng(5);
    const n = 30;
    const m = Array.from({ length: n * n }, () => rng.normal());
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += m[i * n + k]! * m[j * n + k]!;
    for (let i = 0; i < n; i++) a[i * n + i]! += 1;
    const x = Float64Array.from({ length: 2 * n }, () => rng.normal());
    const b = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let c = 0; c < 2; c++) b[i * 2 + c]! += a[i * n + j]! * x[j * 2 + c]!;
    solveSpd(a, n, b, 2).forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 9));
    const err = (() => { try { solveSpd(new Float64Array([1, 2, 2, 1]), 2, new Float64Array(2), 1); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(SecateursError);
    expect((err as Error).message).toBe("the normal equations are not positive definite (pivot 1 of 2 is -3); raise 'ridge'.");
  });
});
