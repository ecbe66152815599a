/**
 * Gradients of the PyTorch-exported fixtures against PyTorch's own autograd. `<name>.grad.npz` (written by
 * scripts/fixtures/export_pytorch_grads.py) holds, for the saved input batch of `<name>.io.npz`, the loss and d loss /
 * d initializer for every ONNX initializer that is a PyTorch parameter (tied parameters summed, `onnx::MatMul_*`
 * transposed back; initializers of more than 4,096 elements at 2,048 seeded positions, `<name>@index`). The ONNX
 * model gets the same loss with withLoss, its gradient graph runs in onnxruntime (float32), and every gradient must
 * be within 1e-4 of the tensor's largest |gradient| of PyTorch's (float64, stored as float32).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGradientGraph, withLoss, type LossSpec } from '../../src/autodiff/index.js';
import { readNpz, toFloat32, type NpyArray, type NpzArrays } from '../../src/data/index.js';
import type { Model } from '../../src/ir/graph.js';
import { loadModel } from '../../src/onnx/index.js';
import { createSession, type TensorData } from '../../src/runtime/index.js';

const DIR = join(import.meta.dirname, '../../fixtures/pytorch');

/** Relative tolerances: of the loss, and of each gradient tensor's largest magnitude. */
const LOSS_RTOL = 1e-5;
const GRAD_RTOL = 1e-4;

/** Each fixture with the loss the reference was computed with and the npz key of its extra input. */
const FIXTURES: readonly { name: string; loss: LossSpec; extra: string }[] = [
  { name: 'mlp', loss: { kind: 'cross-entropy', logits: 'output' }, extra: 'labels' },
  // BatchNormalization stays in inference form: PyTorch's eval-mode gradients are what its rule computes.
  { name: 'cnn_bn', loss: { kind: 'cross-entropy', logits: 'output' }, extra: 'labels' },
  // Output [N, 16, 64]: mean squared error against a seeded target (no classes to take a cross-entropy over).
  { name: 'transformer_layer', loss: { kind: 'mse', prediction: 'output' }, extra: 'target' },
];

function tensor(a: NpyArray): TensorData {
  if (a.dtype === 'int64') return { dtype: 'int64', dims: a.shape, data: a.data };
  return { dtype: 'float32', dims: a.shape, data: toFloat32(a) };
}

/** Float initializers that are neither a reference gradient nor a BatchNormalization running statistic. */
function uncovered(model: Model, ref: NpzArrays): string[] {
  const stats = new Set(model.graph.nodes.filter((n) => n.opType === 'BatchNormalization').flatMap((n) => [n.input(3), n.input(4)]));
  return model.graph.initializers
    .filter((v) => v.constant?.dtype === 'float32' && !stats.has(v) && !ref.has(v.name))
    .map((v) => v.name);
}

/** max |ours − ref| / max |ref| over the stored positions (all of them, or `index`). */
function relativeError(ours: Float32Array, ref: Float32Array, index: NpyArray | undefined): number {
  const at = index ? Array.from(index.data as Int32Array) : ref.map((_, i) => i);
  let maxDiff = 0;
  let maxRef = 0;
  at.forEach((k, j) => {
    maxDiff = Math.max(maxDiff, Math.abs(ours[k]! - ref[j]!));
    maxRef = Math.max(maxRef, Math.abs(ref[j]!));
  });
  return maxDiff / maxRef;
}

describe.each(FIXTURES)('PyTorch fixture $name: gradients match PyTorch autograd', ({ name, loss, extra }) => {
  it('loss and every parameter gradient', async () => {
    const model = await loadModel(join(DIR, `${name}.onnx`));
    const io = await readNpz(join(DIR, `${name}.io.npz`));
    const ref = await readNpz(join(DIR, `${name}.grad.npz`));
    const wrt = model.graph.initializers.map((v) => v.name).filter((n) => ref.has(n));
    expect(wrt.length).toBeGreaterThan(0);
    expect(uncovered(model, ref)).toEqual([]);

    const lossModel = withLoss(model, loss);
    expect(lossModel.inputs).toEqual([extra]);
    const g = buildGradientGraph(lossModel.model, { loss: lossModel.loss, wrt, keepOutputs: false });
    const feeds: Record<string, TensorData> = { input: tensor(io.get('input')!), [extra]: tensor(ref.get(extra)!) };
    for (const p of g.params) feeds[p.name] = { dtype: 'float32', dims: p.initial!.dims, data: p.initial!.view() };
    const s = await createSession(g.model);
    const out = await s.run(feeds);
    await s.release();

    const want = Number((ref.get('loss')!.data as Float64Array)[0]);
    const got = (out[lossModel.loss]!.data as Float32Array)[0]!;
    expect(Math.abs(got - want)).toBeLessThanOrEqual(LOSS_RTOL * Math.abs(want));
    const errors = g.params.map((p) => {
      const r = ref.get(p.name)!;
      const index = ref.get(`${p.name}@index`);
      if (!index) expect(r.shape).toEqual(p.initial!.dims);
      return { name: p.name, error: relativeError(out[p.grad]!.data as Float32Array, toFloat32(r), index) };
    });
    if (process.env.GRADCHECK_VERBOSE) console.info(name, `loss ${got} vs ${want}`, errors);
    expect(errors.filter((e) => !(e.error <= GRAD_RTOL))).toEqual([]);
  });
});
