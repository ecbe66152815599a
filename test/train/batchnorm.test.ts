import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloneModel } from '../../src/ir/clone.js';
import type { Model } from '../../src/ir/graph.js';
import { createSession, evaluate } from '../../src/runtime/index.js';
import { train } from '../../src/train/index.js';
import { blobs, mlpWithBatchNorm, sameBits } from './helpers.js';

describe('BatchNormalization in training', () => {
  it('trains on batch statistics and updates the running statistics the PyTorch way (momentum 0.1, unbiased)', async () => {
    const model = mlpWithBatchNorm({ seed: 2 });
    const data = blobs(16, { seed: 3 });
    // with lr 0 the first layer is unchanged, so the batch statistics are those of its outputs on the one batch
    const r = await train(model, data, { epochs: 1, batchSize: 16, lr: 0 });
    const fc1 = await hidden(model, data.x, 16);
    const mean = r.model.graph.requireValue('bn/mean').constant!.toFloat32();
    const variance = r.model.graph.requireValue('bn/var').constant!.toFloat32();
    for (let c = 0; c < 8; c++) {
      const col = Array.from({ length: 16 }, (_, i) => fc1[i * 8 + c]!);
      const mu = col.reduce((a, v) => a + v, 0) / 16;
      const unbiased = col.reduce((a, v) => a + (v - mu) ** 2, 0) / 15;
      expect(mean[c]).toBeCloseTo(0.1 * mu, 5);
      expect(variance[c]).toBeCloseTo(0.9 + 0.1 * unbiased, 5);
    }
  });

  it('learns the separable problem and validates with the running statistics', async () => {
    const data = blobs(240, { seed: 1 });
    const val = blobs(120, { seed: 2, split: 'val' });
    const r = await train(mlpWithBatchNorm({ seed: 1 }), data, { epochs: 5, batchSize: 16, optimizer: 'adam', lr: 0.02, valSet: val, restoreBest: false });
    expect(r.history[4]!.valAcc).toBeGreaterThanOrEqual(0.98);
    expect((await evaluate(r.model, val)).top1).toBe(r.history[4]!.valAcc);
    expect(r.model.graph.nodes.some((n) => n.opType === 'BatchNormalization')).toBe(true);
  });

  it('resumes with the running statistics restored, bit-identically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-bn-'));
    try {
      const data = blobs(64, { seed: 1 });
      const opts = { epochs: 2, batchSize: 8, optimizer: 'sgd' as const, lr: 0.05, momentum: 0.9, seed: 4 };
      const straight = await train(mlpWithBatchNorm(), data, opts);
      const ctl = new AbortController();
      await expect(train(mlpWithBatchNorm(), data, { ...opts, checkpointDir: dir, signal: ctl.signal, onStep: (s) => { if (s.step === 5) ctl.abort(); } })).rejects.toThrow(/aborted/);
      const resumed = await train(mlpWithBatchNorm(), data, { ...opts, checkpointDir: dir, resume: dir });
      for (const name of ['bn/mean', 'bn/var', 'bn/scale', 'fc1/weight', 'fc2/bias']) {
        const a = straight.model.graph.requireValue(name).constant!.toFloat32();
        const b = resumed.model.graph.requireValue(name).constant!.toFloat32();
        expect(sameBits(a, b)).toBe(true);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The fc1 outputs (before BatchNorm) of the model on `n` samples. */
async function hidden(model: Model, x: Float32Array, n: number): Promise<Float32Array> {
  const m = cloneModel(model);
  const out = m.graph.requireValue('fc1/Gemm');
  m.graph.outputs.splice(0, m.graph.outputs.length, out);
  const s = await createSession(m);
  try {
    return (await s.run({ x: { dtype: 'float32', dims: [n, 4], data: x } }))['fc1/Gemm']!.data as Float32Array;
  } finally {
    await s.release();
  }
}
