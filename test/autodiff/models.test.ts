/**
 * Whole-model gradient checks: every zoo model with a softmax cross-entropy loss (withLoss), differentiated with
 * respect to all its trainable float parameters, run in onnxruntime in float32 on 8 random MNIST-like images.
 *
 * A per-coordinate finite difference does not work here: moving one weight by a usable ε crosses Relu/MaxPool kinks,
 * and the float32 loss (≈ 2.3) is quantized in steps of 2.4e-7, so small steps drown. So the checks are:
 *
 * - Directional derivatives along unit vectors v: ⟨g, v⟩ from the gradient graph against the central difference
 *   (L(θ+εv) − L(θ−εv)) / 2ε. v = normalize(ĝ/‖ĝ‖ + r/‖r‖) with r seeded Gaussian and ĝ the gradient under test: a
 *   purely random unit v over n ≈ 10⁵ weights gives ⟨g, v⟩ ≈ ‖g‖/√n, too small to resolve in float32, while half of
 *   v along ĝ makes the signal ≈ ‖g‖/√2. The direction does not hide errors: if ĝ = g + e, the analytic side exceeds
 *   the numeric one by ⟨e, v⟩, which contains ‖e‖²/(√2‖ĝ‖) (see the corruption tests at the end).
 *   L is evaluated as the float64 cross-entropy of the graph's float32 logits, whose resolution is far finer.
 *   Global: 3 seeded directions over all parameters, |a − n| ≤ 1e-2·max(|a|, |n|) + τ/ε.
 *   Per tensor: one direction inside each parameter tensor, |a − n| ≤ 3e-2·max(|a|, |n|) + τ/ε.
 *   τ = 1e-7 bounds the noise of L(θ+εv) − L(θ−εv) (measured ≤ 7e-8 on tensors whose true gradient is zero).
 *   ε is set per model, between 1e-4 and 2e-3: small where normalized activations put many units near a Relu kink
 *   (the kinks crossed grow with ε), larger where the loss is smooth (ViT: Gelu, softmax) and the τ/ε floor shrinks.
 * - Single coordinates where a coordinate step is safe: every bias and 4 seeded weights of the classifier Gemm
 *   (nothing but the softmax after it), ε = 1e-2, on the graph's own float32 loss output, rtol 1e-2 + 5e-7/ε.
 *
 * BatchNormalization and LayerNormalization parameters are randomized first (the zoo starts them at the identity, which
 * would hide a rule that drops the scale or confuses mean and variance), and running statistics set near the batch's.
 * GRADCHECK_VERBOSE=1 prints the errors.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { batchNormToTraining, buildGradientGraph, withLoss } from '../../src/autodiff/index.js';
import type { Model } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { createSession, type Session, type TensorData } from '../../src/runtime/index.js';
import { Rng } from '../../src/util/rng.js';
import { ZOO, type ZooName } from '../../src/zoo/index.js';
import { loadModel } from '../../src/onnx/index.js';
import { join } from 'node:path';

const [N, CLASSES] = [8, 10];
const TAU = 1e-7;
const RTOL_GLOBAL = 1e-2;
const RTOL_TENSOR = 3e-2;
const [COORD_EPS, COORD_TAU, COORD_RTOL] = [1e-2, 5e-7, 1e-2];

interface Case {
  readonly label: string;
  /** A zoo model, or a PyTorch-exported fixture (fixtures/pytorch/<name>.onnx) with its sample shape. */
  readonly zoo?: ZooName;
  readonly fixture?: { readonly name: string; readonly sample: readonly number[] };
  /** Run the per-tensor directional checks (one pair of runs per tensor; too slow for 11M-parameter models). */
  readonly perTensor?: boolean;
  /** 'training': batchNormToTraining first (batch statistics); 'inference': the running-statistics rule. */
  readonly bn: 'inference' | 'training';
  /** Step of the directional checks: the widest margin found over 1e-4…2e-3 (see the header). */
  readonly eps: number;
}

const CASES: readonly Case[] = [
  { label: 'lenet-300-100', zoo: 'lenet-300-100', bn: 'inference', eps: 1e-3 },
  { label: 'lenet5', zoo: 'lenet5', bn: 'inference', eps: 1e-3 },
  { label: 'resnet-small (inference BN)', zoo: 'resnet-small', bn: 'inference', eps: 1e-4 },
  { label: 'resnet-small (batchNormToTraining)', zoo: 'resnet-small', bn: 'training', eps: 2e-4 },
  { label: 'mobilenetv2-small (inference BN)', zoo: 'mobilenetv2-small', bn: 'inference', eps: 1e-4 },
  { label: 'mobilenetv2-small (batchNormToTraining)', zoo: 'mobilenetv2-small', bn: 'training', eps: 3e-4 },
  { label: 'vit-tiny', zoo: 'vit-tiny', bn: 'inference', eps: 2e-3 },
  { label: 'resnet18 (PyTorch export, BN folded)', fixture: { name: 'resnet18', sample: [3, 64, 64] }, bn: 'inference', eps: 1e-3, perTensor: false },
];

type Params = Readonly<Record<string, Float32Array>>;

interface Setup {
  readonly session: Session;
  readonly eps: number;
  /** Checked parameters, graph order. */
  readonly names: readonly string[];
  readonly theta: Params;
  readonly grads: Params;
  /** The graph's loss output at θ. */
  readonly loss: number;
  readonly classifier: { readonly weight: string; readonly bias: string };
  readonly run: (p: Params, outputs: readonly string[]) => Promise<Record<string, TensorData>>;
}

/** One comparison: analytic vs numeric derivative and the allowed difference. */
interface Entry {
  readonly name: string;
  readonly analytic: number;
  readonly numeric: number;
  readonly allowed: number;
  readonly ok: boolean;
}

function entry(name: string, analytic: number, numeric: number, rtol: number, atol: number): Entry {
  const allowed = rtol * Math.max(Math.abs(analytic), Math.abs(numeric)) + atol;
  return { name, analytic, numeric, allowed, ok: Math.abs(analytic - numeric) <= allowed };
}

const bad = (es: readonly Entry[]): string[] => es.filter((e) => !e.ok).map((e) =>
  `${e.name}: analytic ${e.analytic.toExponential(4)} numeric ${e.numeric.toExponential(4)} (allowed ${e.allowed.toExponential(1)})`);

/** Non-trivial BN scale/bias/mean/var and LN scale/bias (the zoo initializes them to the identity). */
function randomizeNorms(model: Model, seed: number): void {
  const rng = new Rng(seed);
  const fill = (name: string | undefined, f: () => number): void => {
    const v = name === undefined ? undefined : model.graph.value(name);
    if (v?.constant) v.constant = Tensor.fromArray('float32', v.constant.dims, Array.from({ length: v.constant.size }, f));
  };
  const gen = [() => 0.5 + rng.next(), () => 0.2 * rng.normal(), () => 0.2 * rng.normal(), () => 0.5 + rng.next()];
  for (const n of model.graph.nodes) {
    const slots = n.opType === 'BatchNormalization' ? 4 : n.opType === 'LayerNormalization' ? 2 : 0;
    for (let i = 1; i <= slots; i++) fill(n.input(i)?.name, gen[i - 1]!);
  }
}

/**
 * Running statistics near this batch's own (batch mean + 0.2σ·noise, batch variance × U(0.5, 1.5)), read from the
 * bnstat outputs of the training form. Random statistics let activations shrink block by block, and the gradients of
 * early layers drop below what a float32 difference resolves; near-batch statistics keep them at a trained model's
 * scale while still differing from the batch statistics an inference rule must not use.
 */
async function calibrateBatchNorm(model: Model, x: TensorData, seed: number): Promise<void> {
  const { model: train, stats } = batchNormToTraining(model);
  if (stats.length === 0) return;
  const s = await createSession(train);
  const out = await s.run({ input: x }, stats.flatMap((st) => [st.mean, st.var]));
  await s.release();
  const rng = new Rng(seed);
  for (const st of stats) {
    const [mean, variance] = [out[st.mean]!.data as Float32Array, out[st.var]!.data as Float32Array];
    const set = (name: string, values: Float32Array): void => {
      const v = model.graph.requireValue(name);
      v.constant = Tensor.fromArray('float32', v.constant!.dims, values);
    };
    set(st.runningMean, mean.map((m, i) => m + 0.2 * Math.sqrt(variance[i]!) * rng.normal()));
    set(st.runningVar, variance.map((v) => v * (0.5 + rng.next())));
  }
}

/** Float32 initializers of rank ≥ 1 except BatchNormalization running statistics (scalar ones are constants). */
function trainable(model: Model): string[] {
  const stats = new Set(model.graph.nodes.filter((n) => n.opType === 'BatchNormalization').flatMap((n) => [n.input(3), n.input(4)]));
  return model.graph.initializers
    .filter((v) => v.constant?.dtype === 'float32' && v.constant.dims.length > 0 && !stats.has(v))
    .map((v) => v.name);
}

/** Weight and bias of the Gemm that computes the logits. */
function classifierOf(model: Model): { weight: string; bias: string } {
  const gemm = model.graph.requireValue('logits').producer;
  if (gemm?.opType !== 'Gemm') throw new Error(`expected a Gemm classifier, found ${gemm?.opType ?? 'none'}`);
  return { weight: gemm.input(1)!.name, bias: gemm.input(2)!.name };
}

async function prepare(c: Case): Promise<Setup> {
  const rng = new Rng(3);
  // Uniform pixels standardized with the MNIST mean and deviation; labels 0..7.
  const sample = c.fixture?.sample ?? [1, 28, 28];
  const pixels = Float32Array.from({ length: N * sample.reduce((a, b) => a * b, 1) }, () => (rng.next() - 0.1307) / 0.3081);
  const x: TensorData = { dtype: 'float32', dims: [N, ...sample], data: pixels };
  const model = c.fixture ? await loadModel(join(import.meta.dirname, '../../fixtures/pytorch', `${c.fixture.name}.onnx`)) : ZOO[c.zoo!].build({ seed: 0 });
  // Fixtures name their output 'output'; the checks read 'logits'.
  const out0 = model.graph.outputs[0]!;
  if (out0.name !== 'logits') model.graph.renameValue(out0, 'logits');
  randomizeNorms(model, 7);
  if (c.bn === 'inference') await calibrateBatchNorm(model, x, 8);
  const names = trainable(model);
  const source = c.bn === 'training' ? batchNormToTraining(model).model : model;
  const { model: lossModel, loss } = withLoss(source, { kind: 'cross-entropy', logits: 'logits' });
  const g = buildGradientGraph(lossModel, { loss, wrt: names });
  const session = await createSession(g.model);
  const labels: TensorData = { dtype: 'int64', dims: [N], data: BigInt64Array.from({ length: N }, (_, i) => BigInt(i % CLASSES)) };
  const dims = new Map(g.params.map((p) => [p.name, p.initial!.dims]));
  const run = (p: Params, outputs: readonly string[]): Promise<Record<string, TensorData>> => session.run({
    input: x, labels, ...Object.fromEntries(names.map((n) => [n, { dtype: 'float32' as const, dims: dims.get(n)!, data: p[n]! }])),
  }, outputs);
  const theta = Object.fromEntries(g.params.map((p) => [p.name, Float32Array.from(p.initial!.view() as Float32Array)]));
  const out = await run(theta, [loss, ...g.params.map((p) => p.grad)]);
  const grads = Object.fromEntries(g.params.map((p) => [p.name, out[p.grad]!.data as Float32Array]));
  const loss0 = (out[loss]!.data as Float32Array)[0]!;
  return { session, eps: c.eps, names, theta, grads, loss: loss0, classifier: classifierOf(model), run };
}

/** Mean softmax cross-entropy of the graph's logits, in float64. */
async function objective(s: Setup, p: Params): Promise<number> {
  const z = (await s.run(p, ['logits'])).logits!.data as Float32Array;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const row = z.subarray(i * CLASSES, (i + 1) * CLASSES);
    const m = Math.max(...row);
    sum += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[i % CLASSES]!;
  }
  return sum / N;
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** Unit direction over `names`: each tensor's ĝ/‖ĝ‖ + r/‖r‖ (r seeded Gaussian), then normalized together. */
function direction(s: Setup, grads: Params, names: readonly string[], seed: number): Record<string, Float64Array> {
  const rng = new Rng(seed);
  const v: Record<string, Float64Array> = {};
  for (const n of names) {
    const r = Float64Array.from(s.theta[n]!, () => rng.normal());
    const [rn, gn] = [norm(r), norm(grads[n]!)];
    v[n] = r.map((x, i) => x / rn + (gn > 0 ? grads[n]![i]! / gn : 0));
  }
  const total = Math.sqrt(names.reduce((a, n) => a + norm(v[n]!) ** 2, 0));
  for (const n of names) v[n] = v[n]!.map((x) => x / total);
  return v;
}

/**
 * ⟨g, v⟩ against the central difference along v. The analytic side uses the step actually taken in float32,
 * (fl(θ+εv) − fl(θ−εv)) / 2ε, so rounding of the perturbed weights is not counted as gradient error.
 */
async function directional(s: Setup, grads: Params, names: readonly string[], seed: number, rtol: number, label: string): Promise<Entry> {
  const v = direction(s, grads, names, seed);
  const eps = s.eps;
  const plus: Record<string, Float32Array> = { ...s.theta };
  const minus: Record<string, Float32Array> = { ...s.theta };
  let analytic = 0;
  for (const n of names) {
    const [t, d, g] = [s.theta[n]!, v[n]!, grads[n]!];
    const p = plus[n] = t.map((x, i) => x + eps * d[i]!);
    const m = minus[n] = t.map((x, i) => x - eps * d[i]!);
    for (let i = 0; i < t.length; i++) analytic += g[i]! * (p[i]! - m[i]!) / (2 * eps);
  }
  const numeric = ((await objective(s, plus)) - (await objective(s, minus))) / (2 * eps);
  return entry(label, analytic, numeric, rtol, TAU / eps);
}

async function globalChecks(s: Setup, grads: Params): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const seed of [1, 2, 3]) out.push(await directional(s, grads, s.names, seed, RTOL_GLOBAL, `all parameters, direction ${seed}`));
  return out;
}

async function perTensor(s: Setup, grads: Params): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const [k, n] of s.names.entries()) out.push(await directional(s, grads, [n], 100 + k, RTOL_TENSOR, n));
  return out;
}

/** Every classifier bias and 4 seeded classifier weights, one coordinate at a time, on the graph's float32 loss. */
async function coordinates(s: Setup): Promise<Entry[]> {
  const { weight, bias } = s.classifier;
  const rng = new Rng(9);
  const picks: (readonly [string, number])[] = [
    ...Array.from(s.theta[bias]!, (_, i) => [bias, i] as const),
    ...Array.from({ length: 4 }, () => [weight, rng.nextInt(s.theta[weight]!.length)] as const),
  ];
  const lossAt = async (name: string, i: number, delta: number): Promise<[number, number]> => {
    const p = Float32Array.from(s.theta[name]!);
    p[i]! += delta;
    const out = await s.run({ ...s.theta, [name]: p }, ['loss']);
    return [(out.loss!.data as Float32Array)[0]!, p[i]!];
  };
  const out: Entry[] = [];
  for (const [name, i] of picks) {
    const [[lp, xp], [lm, xm]] = [await lossAt(name, i, COORD_EPS), await lossAt(name, i, -COORD_EPS)];
    out.push(entry(`${name}[${i}]`, s.grads[name]![i]!, (lp - lm) / (xp - xm), COORD_RTOL, COORD_TAU / COORD_EPS));
  }
  return out;
}

/**
 * With GRADCHECK_VERBOSE: the largest relative error, the largest error/allowed ratio, and on how many entries a
 * gradient 10% too large would fail (the direction is scale-free, so only the analytic side changes).
 */
function report(label: string, kind: string, es: readonly Entry[], rtol: number, atol: number): void {
  if (!process.env.GRADCHECK_VERBOSE) return;
  const rel = es.map((e) => Math.abs(e.analytic - e.numeric) / Math.max(Math.abs(e.analytic), Math.abs(e.numeric), 1e-30));
  const ratio = es.map((e) => Math.abs(e.analytic - e.numeric) / e.allowed);
  const caught = es.filter((e) => !entry(e.name, 1.1 * e.analytic, e.numeric, rtol, atol).ok).length;
  const worst = es[ratio.indexOf(Math.max(...ratio))]!;
  console.info(`${label} ${kind}: ${es.length} checks, max relative error ${Math.max(...rel).toExponential(2)}, ` +
    `max error/allowed ${Math.max(...ratio).toFixed(2)} (${worst.name}), ×1.1 caught on ${caught}/${es.length}`);
}

const setups = new Map<string, Promise<Setup>>();
const setupFor = (c: Case): Promise<Setup> => {
  if (!setups.has(c.label)) setups.set(c.label, prepare(c));
  return setups.get(c.label)!;
};
afterAll(async () => {
  for (const s of setups.values()) await (await s).session.release();
});

describe.each(CASES)('whole-model gradient of $label with softmax cross-entropy', (c) => {
  it('the loss output is the cross-entropy of the logits', async () => {
    const s = await setupFor(c);
    expect(s.names.length).toBeGreaterThan(0);
    expect(Math.abs(s.loss - (await objective(s, s.theta)))).toBeLessThan(1e-6 * s.loss);
  });

  it('matches central differences along 3 seeded directions over all parameters', async () => {
    const s = await setupFor(c);
    const es = await globalChecks(s, s.grads);
    report(c.label, `global (ε=${c.eps})`, es, RTOL_GLOBAL, TAU / c.eps);
    expect(bad(es)).toEqual([]);
  });

  it.skipIf(c.perTensor === false)('matches a central difference along a direction inside each parameter tensor', async () => {
    const s = await setupFor(c);
    const es = await perTensor(s, s.grads);
    report(c.label, `per tensor (ε=${c.eps})`, es, RTOL_TENSOR, TAU / c.eps);
    expect(es.length).toBe(s.names.length);
    expect(bad(es)).toEqual([]);
  });

  it('matches single-coordinate differences of the classifier bias and weights', async () => {
    const s = await setupFor(c);
    const es = await coordinates(s);
    report(c.label, 'coordinates', es, COORD_RTOL, COORD_TAU / COORD_EPS);
    expect(bad(es)).toEqual([]);
  });
});

/** The setup's gradients with `name`'s replaced by `f(grad)`. */
function corrupt(s: Setup, name: string, f: (g: Float32Array) => Float32Array): Params {
  expect(s.names).toContain(name);
  return { ...s.grads, [name]: f(s.grads[name]!) };
}

const scaled = (k: number) => (g: Float32Array): Float32Array => g.map((x) => x * k);

describe('the whole-model checks fail on a wrong gradient', () => {
  const byLabel = (label: string): Case => CASES.find((c) => c.label === label)!;

  it.each([
    ['lenet5', 'conv1/weight'],
    ['resnet-small (batchNormToTraining)', 'layer2/conv1/conv/weight'],
    ['mobilenetv2-small (inference BN)', 'block3/expand/conv/weight'],
    ['mobilenetv2-small (batchNormToTraining)', 'block1/depthwise/conv/weight'],
    ['vit-tiny', 'block0/ln1/scale'],
  ])('%s: %s scaled by 1.1 is the one tensor the per-tensor check flags', async (label, name) => {
    const s = await setupFor(byLabel(label));
    const es = await perTensor(s, corrupt(s, name, scaled(1.1)));
    expect(es.filter((e) => !e.ok).map((e) => e.name)).toEqual([name]);
  });

  it('vit-tiny: a reversed (same norm, wrong arrangement) q-projection gradient is flagged', async () => {
    const s = await setupFor(byLabel('vit-tiny'));
    const name = 'block0/attn/q/weight';
    const es = await perTensor(s, corrupt(s, name, (g) => g.slice().reverse()));
    expect(es.filter((e) => !e.ok).map((e) => e.name)).toEqual([name]);
  });

  it('resnet-small (batchNormToTraining): every gradient scaled by 1.03 fails all 3 global directions', async () => {
    const s = await setupFor(byLabel('resnet-small (batchNormToTraining)'));
    const all = Object.fromEntries(s.names.map((n) => [n, scaled(1.03)(s.grads[n]!)]));
    const es = await globalChecks(s, all);
    expect(es.every((e) => !e.ok)).toBe(true);
  });
});
