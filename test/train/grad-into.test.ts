/**
 * Gradients computed straight into the optimizer's memory (pre-allocated onnxruntime outputs): the same numbers as
 * gradients onnxruntime allocates itself, written in place into views of one shared buffer, and what the optimizer
 * steps with without copying.
 */
import { describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../src/data/index.js';
import { loadModel } from '../../src/onnx/index.js';
import { Adam } from '../../src/train/optim/adam.js';
import { trainableParams } from '../../src/train/index.js';
import { GradientRunner } from '../../src/train/step.js';

describe('GradientRunner.bindGrads', () => {
  it('writes the LeNet-5 gradients into the optimizer\'s gradient views, equal to the runtime-allocated ones', async () => {
    const model = await loadModel('models/lenet5-mnist.onnx');
    const ds = take(await loadMnist({ split: 'test' }), 32);
    const params = trainableParams(model);
    const runner = await GradientRunner.create(model, params, ds, { labelSmoothing: 0, threads: 1 });
    try {
      const opt = new Adam();
      const weights = opt.bind(params.map((p) => model.graph.requireValue(p.name).constant!.toFloat32()));
      runner.bindParams(weights);
      const own = await runner.run(ds.x, ds.y, 32);
      const views = opt.gradientViews();
      expect(views.map((v) => v.buffer)).toEqual(views.map(() => weights[0]!.buffer)); // one arena for all
      runner.bindGrads(views);
      const into = await runner.run(ds.x, ds.y, 32);
      expect(into.loss).toBe(own.loss);
      into.grads.forEach((g, k) => {
        expect(g).toBe(views[k]);
        expect(g).toEqual(own.grads[k]);
      });
      expect(own.grads.some((g) => g.some((v) => v !== 0))).toBe(true);
      // The optimizer steps on its own views (no copy): the weights move by Adam's first step, lr · sign(g).
      const before = weights[0]!.slice();
      const info = opt.step(weights, into.grads, 1e-3);
      expect(info.applied).toBe(true);
      const g0 = own.grads[0]!;
      const i = g0.findIndex((v) => Math.abs(v) > 1e-3);
      expect(weights[0]![i]).toBeCloseTo(before[i]! - 1e-3 * Math.sign(g0[i]!), 6);
      expect(() => runner.bindGrads(views.slice(1))).toThrow(/bindGrads\(\) got \d+ arrays for \d+ parameters/);
    } finally {
      await runner.release();
    }
  });
});
