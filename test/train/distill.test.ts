import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkGradients } from '../../src/autodiff/index.js';
import { loadMnist, take } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import { SecateursError } from '../../src/errors.js';
import { GraphBuilder, torchDefaultInit } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { loadModel } from '../../src/onnx/index.js';
import { applyMasks, planPruning } from '../../src/prune/index.js';
import { captureActivations, evaluate, type TensorData } from '../../src/runtime/index.js';
import { resolveDistill, Teacher } from '../../src/train/distill.js';
import { trainableParams, train, unlabeled, zeroMasks, type EpochStats, type StepReport } from '../../src/train/index.js';
import { trainingLoss } from '../../src/train/loss.js';
import { GradientRunner } from '../../src/train/step.js';
import { Rng } from '../../src/util/rng.js';
import { blobs, mlp } from './helpers.js';

const LENET5 = 'models/lenet5-mnist.onnx';
const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

/** x [N, 4] → Gemm(6) → Relu ('hidden') → Gemm(3) → 'logits', all float64, PyTorch's default init from `seed`. */
function mlp64(seed: number): Model {
  const rng = new Rng(seed);
  const b = new GraphBuilder('mlp64');
  const x = b.input('x', 'float64', ['N', 4]);
  const fc = (name: string, v: typeof x, inF: number, outF: number) => b.scope(name, () => {
    const { weight, bias } = torchDefaultInit(rng, [outF, inF]);
    const w = b.initializer('weight', Tensor.fromTyped('float64', weight.dims, Float64Array.from(weight.toFloat32())));
    const bias64 = b.initializer('bias', Tensor.fromTyped('float64', bias.dims, Float64Array.from(bias.toFloat32())));
    return b.op('Gemm', [v, w, bias64], { transB: 1 });
  });
  const h = b.op('Relu', [fc('fc1', x, 4, 6)], {}, { name: 'hidden' });
  b.output(fc('fc2', h, 6, 3), { name: 'logits', dtype: 'float64', shape: ['N', 3] });
  return b.model(17);
}

/** Mean over rows of T²·KL(softmax(t/T) ‖ softmax(s/T)), in float64. */
function refKl(s: Float32Array, t: Float32Array, n: number, k: number, temp: number): number {
  const logSoftmax = (x: Float32Array, r: number): number[] => {
    const row = Array.from(x.subarray(r * k, (r + 1) * k), (v) => v / temp);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    return row.map((v) => v - lse);
  };
  let total = 0;
  for (let r = 0; r < n; r++) {
    const [ls, lt] = [logSoftmax(s, r), logSoftmax(t, r)];
    total += lt.reduce((a, v, c) => a + Math.exp(v) * (v - ls[c]!), 0);
  }
  return (temp * temp * total) / n;
}

async function capture(model: Model, ds: Dataset, name: string): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  await captureActivations(model, ds, [name], { onBatch: (_n, data) => { parts.push(data.slice()); } });
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function mse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

const pruneLenet = async (teacher: Model, sparsity: number): Promise<Model> =>
  applyMasks(teacher, await planPruning(teacher, { criterion: 'magnitude', scope: { kind: 'global', sparsity } }));

describe('distillation loss and gradient', () => {
  it('the loss graph differentiates through the whole student like finite differences (float64)', async () => {
    const model = mlp64(1);
    const distill = { alpha: 0.7, temperature: 3, teacherOutput: 'logits', features: [{ student: 'hidden', teacher: 'hidden', weight: 0.5 }] };
    const { model: lossModel, names } = trainingLoss(model, 'logits', { labelSmoothing: 0.1, distill });
    expect(names).toEqual({ loss: 'loss', labels: 'labels', teacherLogits: 'teacher_logits', teacherFeatures: ['teacher_feature_0'] });
    const rng = new Rng(2);
    const f64 = (dims: number[]): TensorData => ({ dtype: 'float64', dims, data: Float64Array.from({ length: dims[0]! * dims[1]! }, () => rng.normal() * 1.5) });
    const feeds = {
      x: f64([5, 4]), labels: { dtype: 'int32' as const, dims: [5], data: Int32Array.from([0, 2, 1, 1, 0]) },
      teacher_logits: f64([5, 3]), teacher_feature_0: f64([5, 6]),
    };
    const params = ['fc1/weight', 'fc1/bias', 'fc2/weight', 'fc2/bias'];
    const r = await checkGradients(lossModel, { feeds, wrt: params, outputs: ['loss'], seed: 3 });
    expect(r.precision).toBe('float64');
    for (const e of r.entries) expect(e.error, `${e.name}: analytic ${e.analytic}, numeric ${e.numeric}`).toBeLessThanOrEqual(e.allowed);
    expect(r.entries.map((e) => e.name).sort()).toEqual([...params].sort());
  });

  it("the trainer's gradient (float32, teacher outputs from the teacher's session) matches a central difference of its loss", async () => {
    const teacherModel = await loadModel(LENET5);
    const student = await pruneLenet(teacherModel, 0.8);
    const ds = take(await loadMnist({ split: 'test' }), 16);
    const spec = resolveDistill({ teacher: teacherModel, alpha: 0.6, temperature: 2, features: [{ student: 'fc1/Relu', teacher: 'fc1/Relu', weight: 0.3 }] }, teacherModel);
    const params = trainableParams(student);
    const runner = await GradientRunner.create(student, params, ds, { labelSmoothing: 0, threads: 1, distill: spec });
    const teacher = await Teacher.create(teacherModel, ds, spec, 1);
    try {
      const w = params.map((p) => student.graph.requireValue(p.name).constant!.toFloat32());
      runner.bindParams(w);
      const taught = await teacher.run(ds.x, 16);
      const base = await runner.run(ds.x, ds.y, 16, taught);
      const rng = new Rng(4);
      const v = w.map((a) => Float32Array.from(a, () => rng.normal()));
      const analytic = base.grads.reduce((s, g, k) => s + g.reduce((a, gi, i) => a + gi * v[k]![i]!, 0), 0);
      const eps = 1e-3;
      const lossAt = async (sign: number): Promise<number> => {
        const moved = w.map((a, k) => Float32Array.from(a, (x, i) => x + sign * eps * v[k]![i]!));
        runner.bindParams(moved);
        return (await runner.run(ds.x, ds.y, 16, taught)).loss;
      };
      const numeric = ((await lossAt(1)) - (await lossAt(-1))) / (2 * eps);
      // float32 end to end: the tolerance is the project's float32 check tolerance (2e-2 relative).
      expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(2e-2 * Math.max(Math.abs(analytic), Math.abs(numeric)) + 1e-3);
      expect(Math.abs(analytic)).toBeGreaterThan(0.1);
    } finally {
      await runner.release();
      await teacher.release();
    }
  });

  it("feeds the teacher's own outputs: the first step's loss equals the loss computed from the two models' outputs", async () => {
    const teacher = await loadModel(LENET5);
    const student = await pruneLenet(teacher, 0.9);
    const ds = take(await loadMnist({ split: 'test' }), 48);
    const [alpha, temperature, weight] = [0.75, 3, 0.05];
    const reports: StepReport[] = [];
    // One batch holding every sample (the mean loss does not depend on their order), no update before the report.
    await train(student, ds, {
      epochs: 1, batchSize: 48, lr: 0, onStep: (s) => reports.push(s),
      distill: { teacher, alpha, temperature, features: [{ student: 'conv2/Conv', teacher: 'conv2/Conv', weight }] },
    });
    const s = (await evaluate(student, ds, { keepOutputs: true })).outputs!.data;
    const t = (await evaluate(teacher, ds, { keepOutputs: true })).outputs!.data;
    const ce = (await evaluate(student, ds)).loss;
    const feat = mse(await capture(student, ds, 'conv2/Conv'), await capture(teacher, ds, 'conv2/Conv'));
    const expected = (1 - alpha) * ce + alpha * refKl(s, t, 48, 10, temperature) + weight * feat;
    expect(reports).toHaveLength(1);
    expect(reports[0]!.loss).toBeCloseTo(expected, 4);
    expect(feat).toBeGreaterThan(0.01);
  });
});

describe('distillation in the trainer', () => {
  it('recovers a 95%-pruned LeNet-5 from the dense teacher on unlabelled MNIST, pruned weights held at zero', async () => {
    const teacher = await loadModel(LENET5);
    const pruned = await pruneLenet(teacher, 0.95);
    const test = take(await loadMnist({ split: 'test' }), 2000);
    const images = unlabeled(take(await loadMnist({ split: 'train' }), 4000));
    const valImages = unlabeled(take(test, 500));
    const before = (await evaluate(pruned, test)).top1;
    const r = await train(pruned, images, {
      epochs: 2, batchSize: 64, optimizer: 'adam', lr: 3e-3, masks: zeroMasks(pruned), valSet: valImages,
      distill: { teacher, alpha: 1, temperature: 2 },
    });
    const after = (await evaluate(r.model, test)).top1;
    const dense = (await evaluate(teacher, test)).top1;
    // Measured: dense 98.9%, pruned 59.5%, distilled 97.8% (2 epochs of 4,000 images without labels).
    expect(before).toBeLessThan(0.75);
    expect(after).toBeGreaterThan(0.96);
    expect(dense - after).toBeLessThan(0.03);
    const w0 = pruned.graph.requireValue('fc1/weight').constant!.toFloat32();
    const w1 = r.model.graph.requireValue('fc1/weight').constant!.toFloat32();
    expect(w0.every((v, i) => v !== 0 || Object.is(w1[i], 0))).toBe(true);
    // No labels: accuracy is NaN, agreement with the teacher is reported and picks the best epoch.
    expect(r.history.map((h) => h.trainAcc)).toEqual([NaN, NaN]);
    expect(r.history[1]!.trainAgreement).toBeGreaterThan(r.history[0]!.trainAgreement!);
    expect(r.history[1]!.valAgreement).toBeGreaterThan(0.95);
    expect(r.history[1]!.valKl).toBeLessThan(r.history[0]!.valKl!);
    expect(r.best?.valAgreement).toBe(Math.max(...r.history.map((h) => h.valAgreement!)));
  });

  it('feature matching brings the matched tensor (80%-pruned LeNet-5, fc1) closer to the teacher than logits alone do', async () => {
    const teacher = await loadModel(LENET5);
    const pruned = await pruneLenet(teacher, 0.8);
    const images = unlabeled(take(await loadMnist({ split: 'train' }), 2000));
    const held = take(await loadMnist({ split: 'test' }), 500);
    const FEAT = 'fc1/Relu';
    const target = await capture(teacher, held, FEAT);
    const base = { epochs: 1, batchSize: 64, optimizer: 'adam' as const, lr: 2e-3, masks: zeroMasks(pruned) };
    const logitsOnly = await train(pruned, images, { ...base, distill: { teacher, alpha: 1, temperature: 2 } });
    const withFeatures = await train(pruned, images, { ...base, distill: { teacher, alpha: 1, temperature: 2, features: [{ student: FEAT, teacher: FEAT, weight: 1 }] } });
    const before = mse(await capture(pruned, held, FEAT), target);
    const plain = mse(await capture(logitsOnly.model, held, FEAT), target);
    const matched = mse(await capture(withFeatures.model, held, FEAT), target);
    // Measured (MSE to the teacher's fc1 activations on 500 held-out images): 2.07 pruned, 0.86 after distilling
    // logits only, 0.36 with the fc1 pair matched too.
    expect(matched).toBeLessThan(0.3 * before);
    expect(matched).toBeLessThan(0.6 * plain);
  });

  it('resumes a distillation run bit-identically; a resume with other distillation settings is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-distill-'));
    dirs.push(dir);
    const data = blobs(96, { seed: 1 });
    const o16 = { batchSize: 16, optimizer: 'adam' as const, lr: 0.01, distill: { teacher: mlp({ seed: 9 }), alpha: 0.5, temperature: 2, features: [{ student: 'Relu', teacher: 'Relu', weight: 0.2 }] } };
    const full = await train(mlp({ seed: 3 }), data, { ...o16, epochs: 2 });
    await train(mlp({ seed: 3 }), data, { ...o16, epochs: 1, checkpointDir: dir });
    const resumed = await train(mlp({ seed: 3 }), data, { ...o16, epochs: 2, resume: dir });
    for (const name of ['fc1/weight', 'fc2/bias']) {
      expect(resumed.model.graph.requireValue(name).constant!.toFloat32()).toEqual(full.model.graph.requireValue(name).constant!.toFloat32());
    }
    const noTiming = (h: readonly EpochStats[]) => h.map(({ seconds: _s, samplesPerSec: _r, ...rest }) => rest);
    expect(noTiming(resumed.history)).toEqual(noTiming(full.history));
    expect(full.steps).toBe(12);
    const refused = train(mlp({ seed: 3 }), data, { ...o16, epochs: 2, resume: dir, distill: { ...o16.distill, alpha: 0.8 } });
    await expect(refused).rejects.toThrow(/'distill' was .*"alpha":0\.5.*now .*"alpha":0\.8/);
    const other = train(mlp({ seed: 3 }), data, { ...o16, epochs: 2, resume: dir, distill: { ...o16.distill, teacher: mlp({ seed: 10 }) } });
    await expect(other).rejects.toMatchObject({ code: 'TRAIN_RESUME_MISMATCH' });
  });
});

describe('validation with unlabelled samples', () => {
  it('scores accuracy and loss on the labelled samples only, agreement and KL on all', async () => {
    const val = blobs(120, { seed: 2, split: 'val' });
    const y = val.y.map((v, i) => (i % 3 === 0 ? -1 : v));
    const mixed = { ...val, y };
    const labelledOnly = { ...val, count: 80, x: Float32Array.from(val.x.filter((_, i) => Math.floor(i / 4) % 3 !== 0)), y: Int32Array.from(y.filter((v) => v >= 0)) };
    const teacher = mlp({ seed: 7 });
    const r = await train(mlp({ seed: 3 }), blobs(96, { seed: 1 }), { epochs: 1, batchSize: 16, lr: 0.05, valSet: mixed, distill: { teacher, alpha: 1 } });
    const h = r.history[0]!;
    const e = await evaluate(r.model, labelledOnly);
    expect(h.valAcc).toBe(e.top1);
    expect(h.valLoss).toBeCloseTo(e.loss, 5);
    const s = (await evaluate(r.model, val, { keepOutputs: true })).outputs!.data;
    const t = (await evaluate(teacher, val, { keepOutputs: true })).outputs!.data;
    let agree = 0;
    for (let i = 0; i < 120; i++) {
      const top = (a: Float32Array): number => [0, 1, 2].reduce((b, c) => (a[i * 3 + c]! > a[i * 3 + b]! ? c : b), 0);
      if (top(s) === top(t)) agree++;
    }
    expect(h.valAgreement).toBe(agree / 120);
    expect(h.valKl).toBeCloseTo(refKl(s, t, 120, 3, 1), 5);
  });
});

describe('distillation errors', () => {
  it('lists every bad option in one RangeError: alpha, temperature, weights and unknown tensors', async () => {
    const run = train(mlp(), blobs(30), {
      epochs: 0,
      distill: { teacher: mlp({ seed: 2 }), alpha: 1.5, temperature: 0, features: [{ student: 'nope', teacher: 'Relu', weight: -1 }, { student: 'Relu', teacher: 'missing' }] },
    });
    await expect(run).rejects.toThrow(RangeError);
    const message = await run.catch((e: Error) => e.message);
    for (const part of [
      "'epochs' must be an integer >= 1", "'distill.alpha' must be in [0, 1], got 1.5", "'distill.temperature' must be a finite number > 0, got 0",
      "'distill.features[0]'.student 'nope' is not a value of the student graph 'mlp'", "'distill.features[0]'.weight must be a finite number > 0, got -1",
      "'distill.features[1]'.teacher 'missing' is not a value of the teacher graph 'mlp'",
    ]) expect(message).toContain(part);
  });

  it('names both tensors and their shapes when a matched pair differs (a student with fewer channels)', async () => {
    const run = train(mlp({ hidden: 8 }), blobs(30), { epochs: 1, distill: { teacher: mlp({ hidden: 16 }), features: [{ student: 'fc1/Gemm', teacher: 'fc1/Gemm' }] } });
    await expect(run).rejects.toMatchObject({ code: 'TRAIN_DISTILL_SHAPE' });
    await expect(run).rejects.toThrow(/student 'fc1\/Gemm' is \[2, 8\] but teacher 'fc1\/Gemm' is \[2, 16\]/);
    const logits = train(mlp({ classes: 3 }), blobs(30), { epochs: 1, distill: { teacher: mlp({ classes: 4 }) } });
    await expect(logits).rejects.toThrow(/logits: student 'logits' is \[2, 3\] but teacher 'logits' is \[2, 4\]/);
  });

  it('refuses unlabelled data where labels are needed, and an unreadable teacher file', async () => {
    const data = unlabeled(blobs(30));
    await expect(train(mlp(), data, { epochs: 1 })).rejects.toThrow(/30 of the 30 training samples are unlabelled \(label -1\) but the cross-entropy loss needs labels/);
    await expect(train(mlp(), data, { epochs: 1, distill: { teacher: mlp({ seed: 2 }), alpha: 0.5 } })).rejects.toThrow(/cross-entropy term \(weight 1 − alpha = 0\.5\)/);
    await expect(train(mlp(), blobs(30), { epochs: 1, valSet: data })).rejects.toThrow(/'valSet' has no labels/);
    await expect(train(mlp(), blobs(30), { epochs: 1, valSet: data, distill: { teacher: mlp({ seed: 2 }) }, earlyStopping: { patience: 1, metric: 'valAcc' } }))
      .rejects.toThrow(/'earlyStopping.metric' 'valAcc' needs labels/);
    await expect(train(mlp(), blobs(30), { epochs: 1, distill: { teacher: join(tmpdir(), 'no-such-teacher.onnx') } })).rejects.toBeInstanceOf(SecateursError);
  });
});
