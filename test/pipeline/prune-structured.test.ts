/**
 * runPrune's structured branch on the trained LeNet-5 with MNIST: data-aware criteria, a MAC target, a latency target
 * (prediction checked, the measured time only reported: timing is not asserted on shared machines), least-squares
 * recovery, and the option errors raised before any data is loaded.
 */
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/onnx/index.js';
import { runPrune, type PruneJob } from '../../src/pipeline/prune.js';

const model = await loadModel(new URL('../../models/lenet5-mnist.onnx', import.meta.url).pathname);

describe('runPrune --structured', () => {
  it('taylor, 50% of conv2 channels and fc1 neurons: lsq recovers accuracy that removal alone loses', async () => {
    const job: PruneJob = {
      data: 'mnist', testLimit: 1000, calibration: 256, lsqSamples: 1024,
      mode: { kind: 'structured', criterion: 'taylor', ratio: 0.5, roundTo: 1, kinds: ['channels', 'neurons'], protect: /^conv1\// },
    };
    const [removed, lsq] = [await runPrune(model, job), await runPrune(model, { ...job, recover: 'lsq' })];
    expect(removed.plan.structured).toEqual(lsq.plan.structured);
    expect(lsq.structured?.lsq?.map((l) => [l.node, l.status])).toEqual([['fc1/Gemm', 'solved'], ['fc2/Gemm', 'solved']]);
    expect(removed.structured?.lsq).toBeUndefined();
    expect(lsq.after.eval!.top1).toBeGreaterThan(removed.after.eval!.top1);
    expect(lsq.after.eval!.top1).toBeGreaterThan(lsq.before.eval!.top1 - 0.015);
    expect(lsq.after.summary.params).toBe(removed.after.summary.params);   // both consumers had biases: same shapes, new values
  });

  it('fisher to a MAC target, then a latency target: MACs and the predicted latency meet their targets', async () => {
    const macs = await runPrune(model, { data: 'mnist', testLimit: 200, calibration: 128, mode: { kind: 'structured', criterion: 'fisher', targetMacs: 0.5, roundTo: 4 } });
    expect(macs.structured!.macs.pruned / macs.structured!.macs.dense).toBeLessThanOrEqual(0.5);
    expect(macs.after.summary.macs).toBe(macs.structured!.macs.pruned);
    const lat = await runPrune(model, { data: 'mnist', testLimit: 200, mode: { kind: 'structured', criterion: 'l2', targetLatency: 0.6, roundTo: 8, latency: { batch: 8 } } });
    const l = lat.structured!.latency!;
    expect(l.target).toBe(0.6);
    expect(l.predictedFraction).toBeLessThanOrEqual(0.6);
    expect(l.cached).toBe(false);
    expect(l.measured.fraction).toBeCloseTo(l.measured.prunedMs / l.measured.denseMs, 12);
  });

  it('rejects bad combinations before loading any data', async () => {
    const data = 'no-such-file.npz';
    const structured = { kind: 'structured' as const, criterion: 'l2' as const };
    await expect(runPrune(model, { data, recover: 'lsq', mode: { kind: 'unstructured', criterion: 'magnitude', scope: 'global', sparsity: 0.5 } }))
      .rejects.toThrow("'recover: lsq' refits the consumers of removed channels; it needs structured pruning ('--structured').");
    await expect(runPrune(model, { data, mode: { ...structured, ratio: 0.5, targetLatency: 0.5 } }))
      .rejects.toThrow("structured pruning needs exactly one of 'ratio', 'targetParams', 'targetMacs', 'targetLatency' or 'plan', got 2.");
    await expect(runPrune(model, { data, mode: { ...structured, targetLatency: 1.5 } })).rejects.toThrow("'targetLatency' must be in (0, 1], got 1.5.");
    await expect(runPrune(model, { data, recover: 'bn', recalibrate: 'bn', mode: { ...structured, ratio: 0.5 }, lsqSamples: 0 })).rejects.toThrow("'lsqSamples' must be an integer >= 1, got 0.");
    await expect(runPrune(model, { data, recover: 'heal' as 'bn', mode: { ...structured, ratio: 0.5 } })).rejects.toThrow("'recover' must be one of none, bn, lsq, finetune, distill, got 'heal'.");
  });
});
