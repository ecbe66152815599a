import { describe, expect, it } from 'vitest';
import { assertGradients, withLoss, type LossSpec } from '../../src/autodiff/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/graph.js';
import { createSession, type TensorData } from '../../src/runtime/index.js';
import { values } from './helpers.js';

const [N, C] = [4, 5];
const z = Float64Array.from(values(N * C, 7, [-3, 3]));
const t = Float64Array.from(values(N * C, 8, [-3, 3]));
const labels = [1, 4, 0, 4];

/** z ['N', C] → Identity → 'logits' (float64). */
function logitsModel(opset = 17, dims: (string | number)[] = ['N', C]): Model {
  const b = new GraphBuilder('net');
  const x = b.input('z', 'float64', dims);
  b.output(b.op('Identity', [x]), { name: 'logits', dtype: 'float64', shape: dims });
  return b.model(opset);
}

const f64 = (dims: number[], data: Float64Array): TensorData => ({ dtype: 'float64', dims, data });
const i64 = (data: number[]): TensorData => ({ dtype: 'int64', dims: [data.length], data: BigInt64Array.from(data.map(BigInt)) });

async function lossValue(m: Model, feeds: Record<string, TensorData>): Promise<number> {
  const s = await createSession(m);
  const out = await s.run(feeds, ['loss']);
  await s.release();
  return (out.loss!.data as Float64Array)[0]!;
}

function logSoftmax(row: ArrayLike<number>, temp = 1): number[] {
  const xs = Array.from(row, (v) => v / temp);
  const m = Math.max(...xs);
  const lse = m + Math.log(xs.reduce((s, v) => s + Math.exp(v - m), 0));
  return xs.map((v) => v - lse);
}

function refCrossEntropy(eps: number): number {
  let total = 0;
  for (let i = 0; i < N; i++) {
    const lp = logSoftmax(z.subarray(i * C, (i + 1) * C));
    total += -(1 - eps) * lp[labels[i]!]! - (eps / C) * lp.reduce((a, b) => a + b, 0);
  }
  return total / N;
}

describe('withLoss: cross-entropy', () => {
  for (const formulation of ['fused', 'composite'] as const) {
    for (const eps of [0, 0.1]) {
      it(`${formulation}, label smoothing ${eps}: value and gradient`, async () => {
        const { model, loss, inputs } = withLoss(logitsModel(), { kind: 'cross-entropy', logits: 'logits', labelSmoothing: eps, formulation });
        expect([loss, inputs]).toEqual(['loss', ['labels']]);
        expect(model.graph.nodes.some((n) => n.opType === 'SoftmaxCrossEntropyLoss')).toBe(formulation === 'fused');
        const feeds = { z: f64([N, C], z), labels: i64(labels) };
        expect(await lossValue(model, feeds)).toBeCloseTo(refCrossEntropy(eps), 12);
        await assertGradients(model, { feeds, wrt: ['z'], outputs: ['loss'] });
      });
    }
  }

  it('int32 labels; fused by default at opset 12+, composite before; [N, T, C] logits', async () => {
    const feeds = { z: f64([N, C], z), labels: { dtype: 'int32', dims: [N], data: Int32Array.from(labels) } as TensorData };
    for (const opset of [11, 13]) {
      const { model } = withLoss(logitsModel(opset), { kind: 'cross-entropy', logits: 'logits', labelType: 'int32' });
      expect(model.graph.nodes.some((n) => n.opType === 'SoftmaxCrossEntropyLoss')).toBe(opset >= 12);
      expect(await lossValue(model, feeds)).toBeCloseTo(refCrossEntropy(0), 12);
      await assertGradients(model, { feeds, wrt: ['z'], outputs: ['loss'] });
    }
    const seq = withLoss(logitsModel(17, ['N', 2, C]), { kind: 'cross-entropy', logits: 'logits', labelSmoothing: 0.2 });
    expect(seq.model.graph.requireValue('labels').shape).toEqual(['N', 2]);
    await assertGradients(seq.model, { feeds: { z: f64([2, 2, C], z.slice(0, 4 * C)), labels: { dtype: 'int64', dims: [2, 2], data: BigInt64Array.from([0n, 3n, 2n, 2n]) } }, wrt: ['z'], outputs: ['loss'] });
  });
});

describe('withLoss: MSE and distillation', () => {
  it('MSE: value and gradient; the target is an input of the prediction\'s shape', async () => {
    const { model, inputs } = withLoss(logitsModel(), { kind: 'mse', prediction: 'logits' });
    expect(inputs).toEqual(['target']);
    const feeds = { z: f64([N, C], z), target: f64([N, C], t) };
    const want = z.reduce((s, v, i) => s + (v - t[i]!) ** 2, 0) / (N * C);
    expect(await lossValue(model, feeds)).toBeCloseTo(want, 12);
    await assertGradients(model, { feeds, wrt: ['z'], outputs: ['loss'] });
  });

  it('distillation: T²·KL(softmax(t/T) ‖ softmax(s/T)), teacher logits are a stop-gradient input', async () => {
    const T = 2;
    const { model, inputs } = withLoss(logitsModel(), { kind: 'distill-kl', student: 'logits', temperature: T });
    expect(inputs).toEqual(['teacher_logits']);
    let kl = 0;
    for (let i = 0; i < N; i++) {
      const ls = logSoftmax(z.subarray(i * C, (i + 1) * C), T);
      const lt = logSoftmax(t.subarray(i * C, (i + 1) * C), T);
      kl += lt.reduce((s, v, c) => s + Math.exp(v) * (v - ls[c]!), 0);
    }
    const feeds = { z: f64([N, C], z), teacher_logits: f64([N, C], t) };
    expect(await lossValue(model, feeds)).toBeCloseTo((T * T * kl) / N, 12);
    await assertGradients(model, { feeds, wrt: ['z'], outputs: ['loss'] });
  });

  it('sums weighted terms (the usual distillation objective)', async () => {
    const terms: LossSpec[] = [
      { kind: 'cross-entropy', logits: 'logits', weight: 0.3 },
      { kind: 'distill-kl', student: 'logits', temperature: 4, weight: 0.7 },
    ];
    const both = withLoss(logitsModel(), terms);
    expect(both.inputs).toEqual(['labels', 'teacher_logits']);
    const feeds = { z: f64([N, C], z), labels: i64(labels), teacher_logits: f64([N, C], t) };
    const ce = await lossValue(withLoss(logitsModel(), terms[0]!).model, feeds);
    const kd = await lossValue(withLoss(logitsModel(), terms[1]!).model, feeds);
    expect(await lossValue(both.model, feeds)).toBeCloseTo(ce + kd, 12);
    await assertGradients(both.model, { feeds, wrt: ['z'], outputs: ['loss'] });
  });

  it('rejects unknown values, integer logits, bad ranges and taken names', () => {
    const m = logitsModel();
    expect(() => withLoss(m, { kind: 'mse', prediction: 'nope' })).toThrow(/prediction 'nope' is not a value of graph 'net'/);
    expect(() => withLoss(m, { kind: 'cross-entropy', logits: 'logits', labelSmoothing: 1 })).toThrow(RangeError);
    expect(() => withLoss(m, { kind: 'distill-kl', student: 'logits', temperature: 0 })).toThrow(/temperature must be > 0/);
    expect(() => withLoss(m, { kind: 'mse', prediction: 'logits', target: 'z' })).toThrow(/already has a value named 'z'/);
    expect(() => withLoss(m, { kind: 'cross-entropy', logits: 'logits', formulation: 'fused' }, { name: 'logits' })).toThrow(/already has a value named 'logits'/);
  });
});
