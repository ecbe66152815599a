import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { selectTargets } from '../../src/quantize/index.js';

/** Layers that look quantizable and each has one reason not to be, plus one that is. */
function candidates() {
  const b = new GraphBuilder('g');
  const x = b.input('x', 'float32', [4, 8]);
  const w = (name: string, dims: number[]) => b.constF32(name, dims, new Float32Array(dims.reduce((a, c) => a * c, 1)).fill(0.5));
  const a = b.op('MatMul', [x, w('w_ok', [8, 8])], {}, { name: 'ok' });
  const bb = b.op('MatMul', [a, b.op('Transpose', [a])], {}, { name: 'two_activations' });
  const c = b.op('Gemm', [bb, w('w_ta', [4, 4])], { transA: 1 }, { name: 'trans_a' });
  const overridable = b.graph.addInput('w_in', 'float32', [4, 4]);
  b.graph.initializers.push(overridable);
  overridable.constant = w('tmp', [4, 4]).constant;
  const d = b.op('Gemm', [c, overridable], {}, { name: 'input_weight' });
  const e = b.op('MatMul', [d, w('w_3d', [2, 4, 4])], {}, { name: 'batched' });
  const img = b.op('Reshape', [e, b.constI64('shape', [1, 2, 4, 4])]);
  const f = b.op('ConvTranspose', [img, w('w_ct', [2, 2, 3, 3])], {}, { name: 'deconv' });
  b.output(f, { name: 'y' });
  return b.model(17);
}

describe('selectTargets', () => {
  it('decides from the graph, and says why each other candidate stays float', () => {
    const model = candidates();
    const { targets, skipped } = selectTargets(model.graph, 'dynamic', { opTypes: ['MatMul', 'Gemm', 'ConvTranspose'] });
    expect(targets.map((t) => [t.node.name, t.axis])).toEqual([['ok', 1]]);
    expect(skipped).toEqual([
      { node: 'two_activations', opType: 'MatMul', reason: 'weight (input 1) is not a constant initializer' },
      { node: 'trans_a', opType: 'Gemm', reason: 'transA=1' },
      { node: 'input_weight', opType: 'Gemm', reason: "weight 'w_in' is also a graph input (it can be replaced at run time)" },
      { node: 'batched', opType: 'MatMul', reason: 'weight has rank 3 (only 2-D weights are quantized)' },
      { node: 'deconv', opType: 'ConvTranspose', reason: 'dynamic quantization has no ConvTranspose kernel' },
    ]);
    const stat = selectTargets(model.graph, 'static', { opTypes: ['ConvTranspose'] });
    expect(stat.targets.map((t) => [t.node.name, t.axis])).toEqual([['deconv', 1]]);
  });
});
