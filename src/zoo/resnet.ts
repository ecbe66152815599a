import type { Model, Value } from '../ir/graph.js';
import { batchNorm, conv, finishModel, globalPool, linear, relu, startModel, type ZooContext, type ZooInfo, type ZooOptions } from './common.js';

/** Registry facts of {@link buildResnetSmall}. */
export const RESNET_SMALL: ZooInfo = {
  name: 'resnet-small',
  description:
    'Small ResNet for 28x28x1: 3x3 stem (16) + BN + Relu, three basic blocks 16→16, 16→32 /2, 32→64 /2 ' +
    '(1x1 projection shortcuts when downsampling), GlobalAveragePool, Gemm 64→10.',
  inputShape: [1, 28, 28],
  dataset: 'fashion-mnist',
};

/** Conv (no bias) + BatchNorm in a scope `name` (`name/conv/weight`, `name/bn/scale`, …). */
function convBn(ctx: ZooContext, name: string, x: Value, inC: number, outC: number, kernel: number, stride: number): Value {
  return ctx.b.scope(name, () => {
    const y = ctx.b.scope('conv', () => conv(ctx, x, { inC, outC, kernel, stride, pad: (kernel - 1) / 2, bias: false }));
    return ctx.b.scope('bn', () => batchNorm(ctx, y, outC));
  });
}

/** A basic residual block: conv3x3-BN-Relu-conv3x3-BN + shortcut (identity, or 1x1 conv + BN when shapes change), Relu. */
function basicBlock(ctx: ZooContext, x: Value, inC: number, outC: number, stride: number): Value {
  const h = relu(ctx, convBn(ctx, 'conv1', x, inC, outC, 3, stride));
  const y = convBn(ctx, 'conv2', h, outC, outC, 3, 1);
  const shortcut = stride !== 1 || inC !== outC ? convBn(ctx, 'downsample', x, inC, outC, 1, stride) : x;
  return relu(ctx, ctx.b.op('Add', [y, shortcut]));
}

/**
 * A small ResNet (78,426 parameters, BatchNorm running statistics included): stem, stages `layer1` (16, 28x28),
 * `layer2` (32, 14x14, projection shortcut), `layer3` (64, 7x7, projection shortcut), GlobalAveragePool, `fc`.
 * BatchNormalization is in inference form, initialized to the identity (gamma 1, beta 0, mean 0, var 1).
 *
 * @example
 * ```ts
 * const model = buildResnetSmall({ numClasses: 5 });
 * model.graph.outputs[0]!.shape;   // ['N', 5]
 * ```
 */
export function buildResnetSmall(opts: ZooOptions = {}): Model {
  const ctx = startModel(RESNET_SMALL, opts);
  const { b } = ctx;
  let x = b.scope('stem', () => relu(ctx, convBn(ctx, 'conv', ctx.input, 1, 16, 3, 1)));
  const stages: readonly (readonly [number, number, number])[] = [[16, 16, 1], [16, 32, 2], [32, 64, 2]];
  stages.forEach(([inC, outC, stride], i) => {
    x = b.scope(`layer${i + 1}`, () => basicBlock(ctx, x, inC, outC, stride));
  });
  const pooled = globalPool(ctx, x);
  const logits = b.scope('fc', () => linear(ctx, pooled, 64, ctx.numClasses));
  return finishModel(ctx, RESNET_SMALL, logits, opts);
}
