/** Small models, a hand-written MLP gradient and checks shared by the prune tests. */
import type { Dataset } from '../../src/data/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import type { GradientSource, GradientStats } from '../../src/prune/index.js';
import { Rng } from '../../src/util/rng.js';

export function seq(n: number, f: (i: number) => number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => f(i));
}

/**
 * x [N, 4] → fc1 (Gemm transB=1, W1 [5, 4]) → Relu → fc2 (Gemm transB=1, W2 [3, 5]) → 'logits' [N, 3].
 * Weights from a seeded generator, so each test gets the same model.
 */
export function tinyMlp(seed = 1): Model {
  const rng = new Rng(seed);
  const b = new GraphBuilder('tiny_mlp');
  const x = b.input('x', 'float32', ['N', 4]);
  const w1 = b.constF32('W1', [5, 4], seq(20, () => rng.normal()));
  const b1 = b.constF32('B1', [5], seq(5, () => 0.1 * rng.normal()));
  const w2 = b.constF32('W2', [3, 5], seq(15, () => rng.normal()));
  const b2 = b.constF32('B2', [3], seq(3, () => 0.1 * rng.normal()));
  const h = b.op('Relu', [b.op('Gemm', [x, w1, b1], { transB: 1 }, { name: 'fc1' })], {}, { name: 'relu' });
  b.output(b.op('Gemm', [h, w2, b2], { transB: 1 }, { name: 'fc2' }), { name: 'logits', dtype: 'float32', shape: ['N', 3] });
  return b.model();
}

/** A labelled dataset of `count` random [4] samples with 3 classes. */
export function tinyData(count: number, seed = 2): Dataset {
  const rng = new Rng(seed);
  return {
    name: 'tiny', split: 'test', count, sampleShape: [4], numClasses: 3,
    x: seq(count * 4, () => rng.normal()),
    y: Int32Array.from({ length: count }, () => rng.nextInt(3)),
  };
}

function weightsOf(model: Model): { w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array } {
  const get = (n: string): Float32Array => model.graph.requireValue(n).constant!.toFloat32();
  return { w1: get('W1'), b1: get('B1'), w2: get('W2'), b2: get('B2') };
}

/**
 * dL/dW1 and dL/dW2 of the mean cross-entropy of {@link tinyMlp} on samples [start, start+n) of `ds`, by hand
 * (float64 backprop).
 */
export function mlpGradients(model: Model, ds: Dataset, start: number, n: number): { W1: Float64Array; W2: Float64Array } {
  const { w1, b1, w2, b2 } = weightsOf(model);
  const g1 = new Float64Array(20);
  const g2 = new Float64Array(15);
  for (let s = start; s < start + n; s++) {
    const x = ds.x.subarray(s * 4, s * 4 + 4);
    const z = Array.from({ length: 5 }, (_, j) => b1[j]! + [0, 1, 2, 3].reduce((a, i) => a + w1[j * 4 + i]! * x[i]!, 0));
    const h = z.map((v) => Math.max(0, v));
    const o = Array.from({ length: 3 }, (_, k) => b2[k]! + [0, 1, 2, 3, 4].reduce((a, j) => a + w2[k * 5 + j]! * h[j]!, 0));
    const m = Math.max(...o);
    const e = o.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, b) => a + b, 0);
    const dO = e.map((v, k) => (v / sum - (k === ds.y[s] ? 1 : 0)) / n);
    const dH = [0, 1, 2, 3, 4].map((j) => [0, 1, 2].reduce((a, k) => a + dO[k]! * w2[k * 5 + j]!, 0));
    for (let k = 0; k < 3; k++) for (let j = 0; j < 5; j++) g2[k * 5 + j]! += dO[k]! * h[j]!;
    for (let j = 0; j < 5; j++) if (z[j]! > 0) for (let i = 0; i < 4; i++) g1[j * 4 + i]! += dH[j]! * x[i]!;
  }
  return { W1: g1, W2: g2 };
}

/**
 * A GradientSource over {@link tinyMlp}: batch b is samples [b·batchSize, (b+1)·batchSize) of `ds`.
 * `calls` counts accumulate() calls.
 */
export function mlpGradientSource(model: Model, ds: Dataset, batchSize: number): GradientSource & { calls: number } {
  const src = {
    calls: 0,
    async accumulate(params: string[], batches: number): Promise<Map<string, GradientStats>> {
      src.calls++;
      const w = { W1: weightsOf(model).w1, W2: weightsOf(model).w2 };
      const out = new Map<string, GradientStats>();
      for (const p of params) {
        const weight = w[p as 'W1' | 'W2'];
        const acc = { sum: new Float32Array(weight.length), sumSq: new Float32Array(weight.length), sumWG: new Float32Array(weight.length), sumWGsq: new Float32Array(weight.length), count: batches };
        for (let b = 0; b < batches; b++) {
          const g = mlpGradients(model, ds, b * batchSize, batchSize)[p as 'W1' | 'W2'];
          for (let i = 0; i < weight.length; i++) {
            acc.sum[i]! += g[i]!;
            acc.sumSq[i]! += g[i]! * g[i]!;
            acc.sumWG[i]! += weight[i]! * g[i]!;
            acc.sumWGsq[i]! += (weight[i]! * g[i]!) ** 2;
          }
        }
        out.set(p, acc);
      }
      return out;
    },
  };
  return src;
}

/**
 * A model with every kind of target: grouped Conv, Gemm transB=0, MatMul with a constant B shared by two nodes
 * through two Identity nodes, MatMul with a constant A, and a Constant-node weight.
 * x [N, 2, 6, 6] → Conv(W_conv [4, 1, 3, 3], group 2) → Flatten [N, 64] → Gemm(B_gemm [64, 8]) → MatMul(Identity(C)) →
 * MatMul(Identity(C)) → Transpose → MatMul(A_left [3, 8] · ·) → Transpose → Gemm(Constant [2, 3], transB=1) → y [N, 2].
 */
export function mixedModel(): Model {
  const rng = new Rng(5);
  const b = new GraphBuilder('mixed');
  const x = b.input('x', 'float32', ['N', 2, 6, 6]);
  const conv = b.op('Conv', [x, b.constF32('W_conv', [4, 1, 3, 3], seq(36, () => rng.normal()))], { group: 2, kernel_shape: [3, 3] }, { name: 'conv' });
  const flat = b.op('Flatten', [conv], { axis: 1 });
  const g = b.op('Gemm', [flat, b.constF32('B_gemm', [64, 8], seq(512, () => rng.normal() * 0.1))], {}, { name: 'gemm' });
  const c = b.constF32('C_shared', [8, 8], seq(64, () => rng.normal() * 0.3));
  const m1 = b.op('MatMul', [g, b.op('Identity', [c], {}, { name: 'id1' })], {}, { name: 'mm1' });
  const m2 = b.op('MatMul', [m1, b.op('Identity', [c], {}, { name: 'id2' })], {}, { name: 'mm2' });
  const t = b.op('Transpose', [m2], { perm: [1, 0] });
  const left = b.op('MatMul', [b.constF32('A_left', [3, 8], seq(24, () => rng.normal())), t], {}, { name: 'mm_left' });
  const back = b.op('Transpose', [left], { perm: [1, 0] });
  const k = b.op('Constant', [], { value: Tensor.fromTyped('float32', [2, 3], seq(6, () => rng.normal())) }, { name: 'k_const' });
  b.output(b.op('Gemm', [back, k], { transB: 1 }, { name: 'head' }), { name: 'y', dtype: 'float32', shape: ['N', 2] });
  return b.model();
}

/** x [N, 5, 3] (seq-major) → LSTM(hidden 4) → Y. */
export function lstmModel(): Model {
  const rng = new Rng(7);
  const b = new GraphBuilder('lstm');
  const x = b.input('x', 'float32', [5, 'N', 3]);
  const w = b.constF32('W', [1, 16, 3], seq(48, () => rng.normal() * 0.3));
  const r = b.constF32('R', [1, 16, 4], seq(64, () => rng.normal() * 0.3));
  const [y] = b.opN('LSTM', [x, w, r], 3, { hidden_size: 4 }, { name: 'lstm' });
  b.output(y!, { name: 'y', dtype: 'float32' });
  return b.model();
}

/** Checks that `text` is well-formed XML as far as tags go (balanced, properly nested); returns the tag names. */
export function xmlTags(text: string): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  const body = text.replace(/<\?[\s\S]*?\?>/g, '').replace(/<!--[\s\S]*?-->/g, '');
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
    } else {
      seen.push(name!);
      if (!self) stack.push(name!);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (/<(?![/?!A-Za-z])/.test(body)) throw new Error('stray <');
  return seen;
}
