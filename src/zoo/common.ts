import { GraphBuilder, filledTensor, kaimingUniform, torchDefaultInit } from '../ir/builder.js';
import type { Dim, Model, Value } from '../ir/graph.js';
import { Rng } from '../util/rng.js';

/** Options every zoo model accepts. */
export interface ZooOptions {
  /** Seed of the parameter initialization; default 0. The same seed gives byte-identical initializers. */
  readonly seed?: number;
  /** Batch dimension of input and output: a fixed size or a symbolic name; default 'N'. */
  readonly batch?: number | string;
  /** Number of output classes; default 10. */
  readonly numClasses?: number;
}

/** What the registry knows about a zoo model besides how to build it. */
export interface ZooInfo {
  /** Registry key and graph name. */
  readonly name: string;
  readonly description: string;
  /** Shape of one example, without the batch dimension. */
  readonly inputShape: readonly number[];
  /** The dataset the model is meant for. */
  readonly dataset: 'mnist' | 'fashion-mnist';
}

/** A model under construction: the builder, the seeded generator and the input. */
export interface ZooContext {
  readonly b: GraphBuilder;
  readonly rng: Rng;
  readonly input: Value;
  readonly batch: Dim;
  readonly numClasses: number;
}

/** Validates the options and starts a graph with the float32 input 'input' of shape [batch, ...inputShape]. */
export function startModel(info: ZooInfo, opts: ZooOptions = {}): ZooContext {
  const numClasses = opts.numClasses ?? 10;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`'numClasses' must be an integer >= 1, got ${numClasses}.`);
  const batch = opts.batch ?? 'N';
  if (typeof batch === 'number' ? !Number.isInteger(batch) || batch < 1 : batch === '') {
    throw new RangeError(`'batch' must be an integer >= 1 or a non-empty dimension name, got '${batch}'.`);
  }
  const b = new GraphBuilder(info.name);
  const input = b.input('input', 'float32', [batch, ...info.inputShape]);
  return { b, rng: new Rng(opts.seed ?? 0), input, batch, numClasses };
}

/** Names `logits` the graph output 'logits' ([batch, numClasses] float32) and wraps the graph in an opset-17 model. */
export function finishModel(ctx: ZooContext, info: ZooInfo, logits: Value, opts: ZooOptions = {}): Model {
  ctx.b.output(logits, { name: 'logits', dtype: 'float32', shape: [ctx.batch, ctx.numClasses] });
  const model = ctx.b.model(17);
  model.docString = info.description;
  model.metadata.set('secateurs.zoo', info.name);
  model.metadata.set('secateurs.seed', String(opts.seed ?? 0));
  return model;
}

/** Shape of a 2-D convolution. */
export interface ConvSpec {
  readonly inC: number;
  readonly outC: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly pad?: number;
  /** Groups; `inC` for depthwise. Default 1. */
  readonly group?: number;
  /** Whether the conv has a bias; default true (false before BatchNorm). */
  readonly bias?: boolean;
}

/**
 * Conv in the current scope with PyTorch's default init: parameters `<scope>/weight` [outC, inC/group, k, k] and
 * `<scope>/bias`.
 */
export function conv(ctx: ZooContext, x: Value, s: ConvSpec): Value {
  const { b, rng } = ctx;
  const group = s.group ?? 1;
  const stride = s.stride ?? 1;
  const pad = s.pad ?? 0;
  const dims = [s.outC, s.inC / group, s.kernel, s.kernel];
  const inputs = [x];
  if (s.bias ?? true) {
    const { weight, bias } = torchDefaultInit(rng, dims);
    inputs.push(b.initializer('weight', weight), b.initializer('bias', bias));
  } else {
    inputs.push(b.initializer('weight', kaimingUniform(rng, dims, { a: Math.sqrt(5) })));
  }
  return b.op('Conv', inputs, {
    dilations: [1, 1], group, kernel_shape: [s.kernel, s.kernel], pads: [pad, pad, pad, pad], strides: [stride, stride],
  });
}

/**
 * BatchNormalization in inference form (the autodiff module rewrites it for training) with gamma 1, beta 0, running
 * mean 0 and variance 1, epsilon 1e-5 and momentum 0.9 (ONNX's convention; PyTorch's 0.1).
 */
export function batchNorm(ctx: ZooContext, x: Value, channels: number): Value {
  const { b } = ctx;
  const params = [
    b.initializer('scale', filledTensor([channels], 1)),
    b.initializer('B', filledTensor([channels], 0)),
    b.initializer('mean', filledTensor([channels], 0)),
    b.initializer('var', filledTensor([channels], 1)),
  ];
  return b.op('BatchNormalization', [x, ...params], { epsilon: 1e-5, momentum: 0.9 });
}

/** Gemm y = x·Wᵀ + b with W [outF, inF] (PyTorch's nn.Linear layout) and PyTorch's default init. */
export function linear(ctx: ZooContext, x: Value, inF: number, outF: number): Value {
  const { weight, bias } = torchDefaultInit(ctx.rng, [outF, inF]);
  const w = ctx.b.initializer('weight', weight);
  return ctx.b.op('Gemm', [x, w, ctx.b.initializer('bias', bias)], { alpha: 1, beta: 1, transB: 1 });
}

/**
 * MatMul + Add with W [inF, outF] (a MatMul right-hand side, as exporters write Linear on rank-3 inputs) and
 * PyTorch's default init.
 */
export function dense(ctx: ZooContext, x: Value, inF: number, outF: number): Value {
  const { weight, bias } = torchDefaultInit(ctx.rng, [inF, outF], 'io');
  const y = ctx.b.op('MatMul', [x, ctx.b.initializer('weight', weight)]);
  return ctx.b.op('Add', [y, ctx.b.initializer('bias', bias)]);
}

/** Relu. */
export function relu(ctx: ZooContext, x: Value): Value {
  return ctx.b.op('Relu', [x]);
}

/** Relu6 as Clip(x, 0, 6) (min and max are inputs since opset 11; shared scalar constants). */
export function relu6(ctx: ZooContext, x: Value): Value {
  const { b } = ctx;
  return b.op('Clip', [x, b.scalar(0), b.scalar(6)], {}, { name: 'Relu6' });
}

/** GlobalAveragePool then Flatten: [N, C, H, W] → [N, C]. */
export function globalPool(ctx: ZooContext, x: Value): Value {
  return ctx.b.op('Flatten', [ctx.b.op('GlobalAveragePool', [x])], { axis: 1 });
}
