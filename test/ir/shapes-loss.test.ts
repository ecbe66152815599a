import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { inferShapes } from '../../src/ir/shapes/index.js';
import { Tensor } from '../../src/ir/tensor.js';
import { encodeModel } from '../../src/onnx/index.js';
import { createSession } from '../../src/runtime/index.js';

/** Infers statically and runs onnxruntime on the same graph; both must give the same output shapes. */
async function bothWays(build: (b: GraphBuilder) => void, feeds: Parameters<Awaited<ReturnType<typeof createSession>>['run']>[0]) {
  const b = new GraphBuilder('t');
  build(b);
  const model = b.model(17);
  inferShapes(model);
  const session = await createSession(encodeModel(model));
  const out = await session.run(feeds);
  await session.release();
  return model.graph.outputs.map((v) => ({ inferred: v.shape, dtype: v.dtype, actual: out[v.name]!.dims }));
}

describe('loss and one-hot shape rules agree with onnxruntime', () => {
  it('OneHot inserts depth at axis (default last, and axis 0)', async () => {
    const res = await bothWays((b) => {
      const idx = b.input('idx', 'int64', [2, 3]);
      const depth = b.initializer('depth', Tensor.fromArray('int64', [], [5]));
      const values = b.initializer('values', Tensor.fromArray('float32', [2], [0, 1]));
      b.output(b.op('OneHot', [idx, depth, values], {}, { name: 'last' }));
      b.output(b.op('OneHot', [idx, depth, values], { axis: 0 }, { name: 'first' }));
    }, { idx: { dtype: 'int64', dims: [2, 3], data: new BigInt64Array(6) } });
    expect(res.map((r) => r.inferred)).toEqual([[2, 3, 5], [5, 2, 3]]);
    expect(res.map((r) => [...r.actual])).toEqual([[2, 3, 5], [5, 2, 3]]);
    expect(res[0]!.dtype).toBe('float32');
  });

  it('SoftmaxCrossEntropyLoss: scalar for mean, label-shaped for none, log_prob like the scores', async () => {
    const res = await bothWays((b) => {
      const x = b.input('x', 'float32', [4, 3]);
      const y = b.input('y', 'int64', [4]);
      const [mean, logp] = b.opN('SoftmaxCrossEntropyLoss', [x, y], 2, {}, { name: 'mean' });
      b.output(mean!);
      b.output(logp!);
      b.output(b.op('SoftmaxCrossEntropyLoss', [x, y], { reduction: 'none' }, { name: 'none' }));
    }, { x: { dtype: 'float32', dims: [4, 3], data: new Float32Array(12) }, y: { dtype: 'int64', dims: [4], data: new BigInt64Array(4) } });
    expect(res.map((r) => r.inferred)).toEqual([[], [4, 3], [4]]);
    expect(res.map((r) => [...r.actual])).toEqual([[], [4, 3], [4]]);
  });
});
