import { describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../src/data/index.js';
import { captureActivations, evaluate } from '../../src/runtime/index.js';
import { recalibrateBatchNorm } from '../../src/train/index.js';
import { buildZooModel } from '../../src/zoo/index.js';

describe('recalibrateBatchNorm', () => {
  it("sets the first BN's running stats to the statistics of its input over the calibration data", async () => {
    const model = buildZooModel('resnet-small', { seed: 1 });
    const data = take(await loadMnist({ split: 'train' }), 512);
    const bn = model.graph.nodes.find((n) => n.opType === 'BatchNormalization')!;
    const { model: repaired, layers, samples } = await recalibrateBatchNorm(model, data, { batches: 8, batchSize: 64 });
    expect(layers).toBe(model.graph.nodes.filter((n) => n.opType === 'BatchNormalization').length);
    expect(samples).toBe(512);
    // Direct: per-channel mean and variance of the BN input over the same 512 samples (the first BN sees no other BN).
    const C = bn.input(1)!.constant!.size;
    const [sum, sumSq] = [new Float64Array(C), new Float64Array(C)];
    let perChannel = 0;
    await captureActivations(model, data, [bn.input(0)!.name], { batchSize: 64, onBatch: (_name, x, dims) => {
      const hw = dims[2]! * dims[3]!;
      perChannel += dims[0]! * hw;
      for (let n = 0; n < dims[0]!; n++) for (let c = 0; c < C; c++) for (let i = 0; i < hw; i++) {
        const v = x[(n * C + c) * hw + i]!;
        sum[c]! += v;
        sumSq[c]! += v * v;
      }
    } });
    const mean = repaired.graph.requireValue(bn.input(3)!.name).constant!.toFloat32();
    const variance = repaired.graph.requireValue(bn.input(4)!.name).constant!.toFloat32();
    for (let c = 0; c < C; c++) {
      const m = sum[c]! / perChannel;
      const v = sumSq[c]! / perChannel - m * m;
      expect(Math.abs(mean[c]! - m)).toBeLessThan(1e-4 * Math.max(1, Math.abs(m)));
      // Averaged unbiased batch variances vs the pooled variance: equal up to the spread of the batch means.
      expect(Math.abs(variance[c]! - v)).toBeLessThan(0.05 * v + 1e-6);
    }
    // The source model is untouched and the repaired one still runs.
    expect(model.graph.requireValue(bn.input(3)!.name).constant!.toFloat32().every((x) => x === 0)).toBe(true);
    const r = await evaluate(repaired, take(await loadMnist({ split: 'test' }), 64));
    expect(Number.isFinite(r.loss)).toBe(true);
  });

  it('returns a copy unchanged for a model without BatchNormalization', async () => {
    const model = buildZooModel('lenet5');
    const r = await recalibrateBatchNorm(model, take(await loadMnist({ split: 'train' }), 128));
    expect(r.layers).toBe(0);
    expect(r.model).not.toBe(model);
  });
});
