import type { Model, Value } from '../ir/graph.js';
import { conv, finishModel, linear, relu, startModel, type ZooInfo, type ZooOptions } from './common.js';

/** Registry facts of {@link buildLenet300100}. */
export const LENET_300_100: ZooInfo = {
  name: 'lenet-300-100',
  description: 'LeNet-300-100 MLP (Han et al. 2015): Flatten → Gemm 784→300 → Relu → Gemm 300→100 → Relu → Gemm 100→10.',
  inputShape: [1, 28, 28],
  dataset: 'mnist',
};

/**
 * LeNet-300-100: a 784-300-100-10 MLP with ReLUs, 266,610 parameters (266,200 weights + 410 biases). Layers are
 * scopes `fc1`, `fc2`, `fc3`, each with `weight` [out, in] and `bias`.
 *
 * @example
 * ```ts
 * const model = buildLenet300100({ seed: 1 });
 * model.graph.outputs[0]!.name;   // 'logits'
 * ```
 */
export function buildLenet300100(opts: ZooOptions = {}): Model {
  const ctx = startModel(LENET_300_100, opts);
  const { b } = ctx;
  const flat = b.op('Flatten', [ctx.input], { axis: 1 });
  const h1 = b.scope('fc1', () => relu(ctx, linear(ctx, flat, 784, 300)));
  const h2 = b.scope('fc2', () => relu(ctx, linear(ctx, h1, 300, 100)));
  const logits = b.scope('fc3', () => linear(ctx, h2, 100, ctx.numClasses));
  return finishModel(ctx, LENET_300_100, logits, opts);
}

/** Registry facts of {@link buildLenet5}. */
export const LENET5: ZooInfo = {
  name: 'lenet5',
  description: 'LeNet-5-Caffe: Conv 1→20 5x5 → MaxPool 2 → Conv 20→50 5x5 → MaxPool 2 → Flatten → Gemm 800→500 → Relu → Gemm 500→10.',
  inputShape: [1, 28, 28],
  dataset: 'mnist',
};

/**
 * LeNet-5 as in Caffe's example (the network of Han et al. 2015), 431,080 parameters. Scopes `conv1`, `conv2`,
 * `fc1`, `fc2`; no activation after the convolutions, as in the Caffe model.
 *
 * @example
 * ```ts
 * const model = buildLenet5({ batch: 8 });
 * model.graph.inputs[0]!.shape;   // [8, 1, 28, 28]
 * ```
 */
export function buildLenet5(opts: ZooOptions = {}): Model {
  const ctx = startModel(LENET5, opts);
  const { b } = ctx;
  const pool = (x: Value): Value => b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  const c1 = b.scope('conv1', () => pool(conv(ctx, ctx.input, { inC: 1, outC: 20, kernel: 5 })));
  const c2 = b.scope('conv2', () => pool(conv(ctx, c1, { inC: 20, outC: 50, kernel: 5 })));
  const flat = b.op('Flatten', [c2], { axis: 1 });
  const h = b.scope('fc1', () => relu(ctx, linear(ctx, flat, 800, 500)));
  const logits = b.scope('fc2', () => linear(ctx, h, 500, ctx.numClasses));
  return finishModel(ctx, LENET5, logits, opts);
}
