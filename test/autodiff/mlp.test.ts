import { describe, expect, it } from 'vitest';
import { assertGradients, buildGradientGraph, withLoss } from '../../src/autodiff/index.js';
import { GraphBuilder, torchDefaultInit } from '../../src/ir/builder.js';
import type { DataType } from '../../src/ir/dtype.js';
import { Tensor } from '../../src/ir/tensor.js';
import { createSession, type TensorData } from '../../src/runtime/index.js';
import { Rng } from '../../src/util/rng.js';

const [N, D, H, C] = [8, 6, 5, 3];

/** x ['N', 6] → fc1 Gemm(5) → Relu → fc2 Gemm(3) → 'logits', PyTorch-initialized, in `dtype`. */
function mlp(dtype: DataType) {
  const b = new GraphBuilder('mlp');
  const rng = new Rng(5);
  const x = b.input('x', dtype, ['N', D]);
  const layer = (name: string, input: ReturnType<GraphBuilder['op']>, dims: [number, number]) => b.scope(name, () => {
    const { weight, bias } = torchDefaultInit(rng, dims);
    const w = b.graph.addInitializer(`${name}.weight`, Tensor.fromArray(dtype, dims, weight.toFloat32()));
    const bb = b.graph.addInitializer(`${name}.bias`, Tensor.fromArray(dtype, [dims[0]], bias.toFloat32()));
    return b.op('Gemm', [input, w, bb], { transB: 1 });
  });
  const h = b.op('Relu', [layer('fc1', x, [H, D])]);
  b.output(layer('fc2', h, [C, H]), { name: 'logits', dtype, shape: ['N', C] });
  return withLoss(b.model(17), { kind: 'cross-entropy', logits: 'logits', labelSmoothing: 0.05 }).model;
}

const PARAMS = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'];
const rng = new Rng(11);
const xs = Float64Array.from({ length: N * D }, () => rng.normal());
const labels: TensorData = { dtype: 'int64', dims: [N], data: BigInt64Array.from({ length: N }, (_, i) => BigInt(i % C)) };

describe('whole-model gradient: Gemm → Relu → Gemm → cross-entropy', () => {
  it('matches central differences on single parameter coordinates (float64)', async () => {
    const model = mlp('float64');
    const g = buildGradientGraph(model, { loss: 'loss', wrt: PARAMS });
    const params = Object.fromEntries(g.params.map((p) => [p.name, { dtype: p.dtype, dims: p.initial!.dims, data: Float64Array.from(p.initial!.view() as Float64Array) }]));
    const feeds = { x: { dtype: 'float64' as const, dims: [N, D], data: xs }, labels, ...params };
    const s = await createSession(g.model);
    const grads = await s.run(feeds);
    const lossAt = async (name: string, i: number, delta: number): Promise<number> => {
      const p = params[name]!;
      const data = Float64Array.from(p.data);
      data[i]! += delta;
      const out = await s.run({ ...feeds, [name]: { ...p, data } }, ['loss']);
      return (out.loss!.data as Float64Array)[0]!;
    };
    const eps = 1e-6;
    let checked = 0;
    for (const p of g.params) {
      const size = p.initial!.size;
      for (const i of [0, Math.floor(size / 2), size - 1]) {
        const numeric = ((await lossAt(p.name, i, eps)) - (await lossAt(p.name, i, -eps))) / (2 * eps);
        const analytic = (grads[p.grad]!.data as Float64Array)[i]!;
        expect(Math.abs(analytic - numeric)).toBeLessThan(1e-8 + 1e-6 * Math.abs(numeric));
        checked++;
      }
    }
    await s.release();
    expect(checked).toBe(12);
  });

  it('passes the vector-Jacobian check in float32, and plain SGD on it lowers the loss', async () => {
    const model = mlp('float32');
    const x32: TensorData = { dtype: 'float32', dims: [N, D], data: Float32Array.from(xs) };
    await assertGradients(model, { feeds: { x: x32, labels }, wrt: PARAMS, outputs: ['loss'] });
    const g = buildGradientGraph(model, { loss: 'loss', wrt: PARAMS, keepOutputs: false });
    const s = await createSession(g.model);
    const params = Object.fromEntries(g.params.map((p) => [p.name, Float32Array.from(p.initial!.view() as Float32Array)]));
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      const feeds = Object.fromEntries(g.params.map((p) => [p.name, { dtype: 'float32' as const, dims: p.initial!.dims, data: params[p.name]! }]));
      const out = await s.run({ x: x32, labels, ...feeds });
      losses.push((out.loss!.data as Float32Array)[0]!);
      for (const p of g.params) {
        const grad = out[p.grad]!.data as Float32Array;
        const w = params[p.name]!;
        for (let i = 0; i < w.length; i++) w[i]! -= 0.5 * grad[i]!;
      }
    }
    await s.release();
    expect(losses[29]!).toBeLessThan(losses[0]! * 0.5);
  });
});
