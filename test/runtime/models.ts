import { createModel, Graph, type Dim, type Model } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';

/** Tiny models built with the IR API for the runtime tests. */

/** A 4-feature, 3-class linear classifier: logits = x · Wᵀ + b (Gemm, transB=1). Output named 'logits'. */
export function gemmClassifier(opts: { batch?: Dim; w?: number[]; b?: number[]; classes?: number } = {}): Model {
  const k = opts.classes ?? 3;
  const g = new Graph('gemm_classifier');
  const x = g.addInput('x', 'float32', [opts.batch ?? 'N', 4]);
  const eye = Array.from({ length: k * 4 }, (_, i) => (Math.floor(i / 4) === i % 4 ? 1 : 0));
  const w = g.addInitializer('W', Tensor.fromArray('float32', [k, 4], opts.w ?? eye));
  const b = g.addInitializer('B', Tensor.fromArray('float32', [k], opts.b ?? new Array<number>(k).fill(0)));
  const node = g.addNode('Gemm', [x, w, b], { name: 'fc', outputs: ['logits'], attributes: { transB: { type: 'int', value: 1 } } });
  const y = node.output(0)!;
  y.dtype = 'float32';
  y.shape = [opts.batch ?? 'N', k];
  g.outputs.push(y);
  return createModel(g, 17);
}

/** x [N, 4] → fc1 (5 units) → Relu 'h' → fc2 → 'logits' [N, 3]; `upTo: 'h'` makes 'h' the only output. */
export function mlp(opts: { batch?: Dim; upTo?: 'h' } = {}): Model {
  const g = new Graph('mlp');
  const x = g.addInput('x', 'float32', [opts.batch ?? 'N', 4]);
  const w1 = g.addInitializer('W1', Tensor.fromArray('float32', [5, 4], Array.from({ length: 20 }, (_, i) => Math.sin(i + 1))));
  const b1 = g.addInitializer('B1', Tensor.fromArray('float32', [5], [0.1, -0.2, 0.3, 0, -0.1]));
  const w2 = g.addInitializer('W2', Tensor.fromArray('float32', [3, 5], Array.from({ length: 15 }, (_, i) => Math.cos(i * 0.7))));
  const b2 = g.addInitializer('B2', Tensor.fromArray('float32', [3], [0, 0.5, -0.5]));
  const transB = { transB: { type: 'int' as const, value: 1 } };
  const z = g.addNode('Gemm', [x, w1, b1], { name: 'fc1', outputs: ['z'], attributes: transB }).output(0)!;
  const h = g.addNode('Relu', [z], { name: 'relu', outputs: ['h'] }).output(0)!;
  const y = g.addNode('Gemm', [h, w2, b2], { name: 'fc2', outputs: ['logits'], attributes: transB }).output(0)!;
  g.outputs.push(opts.upTo === 'h' ? h : y);
  return createModel(g, 17);
}

/**
 * x [N, 1, 8, 8] → Conv(2 ch, 3x3, no pad) → Relu → MaxPool 2x2 → Flatten → Gemm(3) → 'logits'. Intermediate values
 * carry no dtype or shape (as the IR builder leaves them).
 */
export function convNet(): Model {
  const g = new Graph('convnet');
  const x = g.addInput('x', 'float32', ['N', 1, 8, 8]);
  const w = g.addInitializer('Wc', Tensor.fromArray('float32', [2, 1, 3, 3], Array.from({ length: 18 }, (_, i) => (i % 5) - 2)));
  const bc = g.addInitializer('Bc', Tensor.fromArray('float32', [2], [0.5, -0.5]));
  const wf = g.addInitializer('Wf', Tensor.fromArray('float32', [3, 18], Array.from({ length: 54 }, (_, i) => Math.sin(i))));
  const c = g.addNode('Conv', [x, w, bc], { name: 'conv', outputs: ['conv_out'], attributes: { kernel_shape: { type: 'ints', value: [3, 3] } } }).output(0)!;
  const r = g.addNode('Relu', [c], { name: 'relu', outputs: ['relu_out'] }).output(0)!;
  const p = g.addNode('MaxPool', [r], { name: 'pool', outputs: ['pool_out'], attributes: { kernel_shape: { type: 'ints', value: [2, 2] }, strides: { type: 'ints', value: [2, 2] } } }).output(0)!;
  const f = g.addNode('Flatten', [p], { name: 'flatten', outputs: ['flat'] }).output(0)!;
  const y = g.addNode('Gemm', [f, wf], { name: 'fc', outputs: ['logits'], attributes: { transB: { type: 'int', value: 1 } } }).output(0)!;
  g.outputs.push(y);
  return createModel(g, 17);
}

/** A labelled in-memory dataset (the data module's Dataset shape). */
export function dataset(rows: number[][], labels: number[], sampleShape: number[], numClasses: number) {
  return {
    name: 'synthetic',
    split: 'test',
    x: Float32Array.from(rows.flat()),
    y: Int32Array.from(labels),
    count: labels.length,
    sampleShape,
    numClasses,
  };
}
