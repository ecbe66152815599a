import { describe, expect, it } from 'vitest';
import { batches, loadMnist, take } from '../../src/data/index.js';
import { buildGradientGraph, withLoss } from '../../src/autodiff/index.js';
import { SecateursError } from '../../src/errors.js';
import { applyMasks, decodeMask, planPruning, taylorScores, type GradientSource } from '../../src/prune/index.js';
import { createSession, evaluate, floatData } from '../../src/runtime/index.js';
import { createGradientSource } from '../../src/train/gradient-source.js';
import { buildZooModel } from '../../src/zoo/index.js';

const PARAMS = ['fc1/weight', 'fc3/weight'];

/** Σg, Σg², Σw·g, Σ(w·g)² by running the gradient graph once per batch, independently of the source. */
async function direct(batchSize: number, seed: number, count: number) {
  const model = buildZooModel('lenet-300-100', { seed: 3 });
  const ds = take(await loadMnist({ split: 'train', normalize: 'standard' }), 600);
  const lm = withLoss(model, { kind: 'cross-entropy', logits: 'logits', labels: 'y_ref', labelType: 'int32' });
  const gg = buildGradientGraph(lm.model, { loss: lm.loss, wrt: PARAMS });
  const session = await createSession(gg.model);
  const input = model.graph.inputs[0]!;
  const w = PARAMS.map((p) => model.graph.requireValue(p).constant!.toFloat32());
  const acc = PARAMS.map((_, k) => ({ sum: new Float64Array(w[k]!.length), sumSq: new Float64Array(w[k]!.length), sumWG: new Float64Array(w[k]!.length), sumWGsq: new Float64Array(w[k]!.length) }));
  let done = 0;
  for (let epoch = 0; done < count; epoch++) {
    for (const b of batches(ds, { batchSize, shuffle: true, seed, epoch, dropLast: true })) {
      if (done === count) break;
      const feeds = {
        [input.name]: { dtype: 'float32' as const, dims: [b.size, 1, 28, 28], data: b.x },
        y_ref: { dtype: 'int32' as const, dims: [b.size], data: b.y },
        ...Object.fromEntries(PARAMS.map((p, k) => [p, { dtype: 'float32' as const, dims: model.graph.requireValue(p).constant!.dims, data: w[k]! }])),
      };
      const out = await session.run(feeds, gg.params.map((p) => p.grad));
      gg.params.forEach((p, k) => {
        const g = floatData(out[p.grad]!, p.grad);
        const a = acc[k]!;
        for (let i = 0; i < g.length; i++) {
          const wg = w[k]![i]! * g[i]!;
          a.sum[i]! += g[i]!; a.sumSq[i]! += g[i]! * g[i]!; a.sumWG[i]! += wg; a.sumWGsq[i]! += wg * wg;
        }
      });
      done++;
    }
  }
  await session.release();
  return { model, ds, acc };
}

function maxRelErr(a: Float32Array, b: Float64Array): number {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
  return err / scale;
}

describe('createGradientSource', () => {
  it('accumulates exactly the per-batch gradient sums of the batch-mean cross-entropy (LeNet-300-100, MNIST)', async () => {
    // 600 samples in batches of 64: 9 full batches per pass, so 12 batches also cover the wrap into a second pass
    const { model, ds, acc } = await direct(64, 5, 12);
    const stats = await createGradientSource(model, ds, { batchSize: 64, seed: 5 }).accumulate(PARAMS, 12);
    expect([...stats.keys()]).toEqual(PARAMS);
    PARAMS.forEach((p, k) => {
      const s = stats.get(p)!;
      expect(s.count).toBe(12);
      const a = acc[k]!;
      expect(s.sum.length).toBe(a.sum.length);
      for (const key of ['sum', 'sumSq', 'sumWG', 'sumWGsq'] as const) expect(maxRelErr(s[key], a[key])).toBeLessThan(1e-4);
      expect(s.sumSq.some((v) => v > 0)).toBe(true);
    });
  });

  it('is deterministic and names every unknown parameter together', async () => {
    const model = buildZooModel('lenet-300-100', { seed: 3 });
    const ds = take(await loadMnist({ split: 'train', normalize: 'standard' }), 256);
    const src = createGradientSource(model, ds, { batchSize: 32 });
    const a = (await src.accumulate(['fc2/weight'], 2)).get('fc2/weight')!;
    const b = (await src.accumulate(['fc2/weight'], 2)).get('fc2/weight')!;
    expect(a.sumWG).toEqual(b.sumWG);
    await expect(src.accumulate(['nope', 'also/nope'], 1)).rejects.toThrow(/'nope', 'also\/nope'/);
    await expect(src.accumulate(['nope'], 1)).rejects.toBeInstanceOf(SecateursError);
    await expect(src.accumulate(['fc2/weight'], 0)).rejects.toThrow(RangeError);
    expect(() => createGradientSource(model, ds, { batchSize: 257 })).toThrow(/\[1, 256\]/);
  });

  it('drives taylor and fisher pruning end to end through planPruning', async () => {
    const model = buildZooModel('lenet-300-100', { seed: 3 });
    const trainSet = take(await loadMnist({ split: 'train', normalize: 'standard' }), 512);
    const testSet = take(await loadMnist({ split: 'test', normalize: 'standard' }), 200);
    const gradients: GradientSource = createGradientSource(model, trainSet, { batchSize: 64, seed: 1 });
    for (const criterion of ['taylor', 'fisher'] as const) {
      const plan = await planPruning(model, { criterion, gradients, gradientBatches: 4, scope: { kind: 'layer', sparsity: 0.5 } });
      expect(plan.criterion).toBe(criterion);
      expect(plan.layers.map((l) => l.sparsity)).toEqual([0.5, 0.5, 0.5]);
      const pruned = applyMasks(model, plan);
      const w = pruned.graph.requireValue('fc1/weight').constant!.toFloat32();
      const mask = decodeMask(plan.layers[0]!);
      expect(mask.every((m, i) => m === 1 || w[i] === 0)).toBe(true);
      const r = await evaluate(pruned, testSet);
      expect(r.count).toBe(200);
    }
    // taylor keeps exactly the weights with the largest |Σ w·g| in each layer
    const stats = (await gradients.accumulate(['fc3/weight'], 4)).get('fc3/weight')!;
    const scores = taylorScores(stats);
    const plan = await planPruning(model, { criterion: 'taylor', gradients, gradientBatches: 4, scope: { kind: 'layer', sparsity: 0.5 }, include: ['fc3/weight'] });
    const mask = decodeMask(plan.layers[0]!);
    let minKept = Infinity;
    let maxPruned = -Infinity;
    mask.forEach((m, i) => { if (m === 1) minKept = Math.min(minKept, scores[i]!); else maxPruned = Math.max(maxPruned, scores[i]!); });
    expect(minKept).toBeGreaterThanOrEqual(maxPruned);
  });
});
