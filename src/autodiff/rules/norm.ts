/**
 * Normalization layers. BatchNormalization in inference mode (running statistics constant) and InstanceNormalization
 * and LayerNormalization have gradient rules; BatchNormalization in training mode is not a rule but a rewrite,
 * {@link batchNormToTraining}, into standard ops that compute batch statistics, which the elementwise and reduce rules
 * then differentiate. Running statistics are updated outside the graph ({@link updateRunningStats}).
 * @module
 */
import { SecateursError } from '../../errors.js';
import { GraphBuilder } from '../../ir/builder.js';
import { cloneModel } from '../../ir/clone.js';
import { dtypeCode, type DataType } from '../../ir/dtype.js';
import type { Dim, Model, Node, Value } from '../../ir/graph.js';
import { toposort } from '../../ir/passes.js';
import { inferShapes } from '../../ir/shapes/index.js';
import { reduceMean, reduceSum, reshape, unsqueeze } from '../ops.js';
import type { Emitter, GradContext, GradRule } from '../types.js';

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** A per-channel [C] value shaped [C, 1, …] to broadcast against a rank-`rank` [N, C, …] tensor. */
function perChannel(e: Emitter, v: Value, rank: number): Value {
  return rank > 2 ? unsqueeze(e, v, range(1, rank - 1)) : v;
}

/** 1/√(v + ε). */
function invStd(e: Emitter, v: Value, eps: number, dtype: DataType): Value {
  const { b } = e;
  return b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [v, b.scalar(eps, dtype)])])]);
}

/**
 * The input gradient shared by every normalization that divides by its own statistics over `axes`:
 * dX = σ⁻¹ · (g − mean(g) − x̂ · mean(g · x̂)), with g = dY·scale and x̂ the normalized input.
 */
function normalizedGrad(e: Emitter, g: Value, xhat: Value, inv: Value, axes: readonly number[]): Value {
  const { b } = e;
  const meanG = reduceMean(e, g, axes, true);
  const meanGx = reduceMean(e, b.op('Mul', [g, xhat]), axes, true);
  return b.op('Mul', [inv, b.op('Sub', [b.op('Sub', [g, meanG]), b.op('Mul', [xhat, meanGx])])]);
}

/**
 * BatchNormalization in inference mode: Y = scale·(X − mean)·σ⁻¹ + B with the running mean and variance as constants
 * (inputs 3 and 4 are stop-gradient), so dX = dY·scale·σ⁻¹, dScale = Σ dY·(X − mean)·σ⁻¹, dB = Σ dY (sums over N and
 * the spatial axes). A node with training_mode=1 fails: rewrite the model with {@link batchNormToTraining} first.
 */
export const batchNormInference: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b, node } = ctx;
  if (node.attrInt('training_mode', 0) !== 0 || node.attrInt('spatial', 1) === 0) {
    ctx.fail(`only inference-mode, spatial BatchNormalization has a rule; rewrite training with batchNormToTraining(model), which computes batch statistics with standard ops.`);
  }
  const x = ctx.x(0), scale = ctx.x(1);
  const rank = ctx.rank(x);
  const inv = invStd(ctx, ctx.x(4), node.attrFloat('epsilon', 1e-5), ctx.dtype(x));
  const axes = [0, ...range(2, rank)];
  const dX = ctx.needs[0] ? b.op('Mul', [dy, perChannel(ctx, b.op('Mul', [scale, inv]), rank)]) : undefined;
  let dScale: Value | undefined;
  if (ctx.needs[1]) {
    const xhat = b.op('Mul', [b.op('Sub', [x, perChannel(ctx, ctx.x(3), rank)]), perChannel(ctx, inv, rank)]);
    dScale = reduceSum(ctx, b.op('Mul', [dy, xhat]), axes, false);
  }
  const dB = ctx.needs[2] ? reduceSum(ctx, dy, axes, false) : undefined;
  return [dX, dScale, dB];
};

/**
 * LayerNormalization (opset 17): the forward node is asked for its Mean and InvStdDev outputs (stash_type float32
 * by default, cast to X's type), x̂ = (X − Mean)·InvStdDev, dScale and dB are dY·x̂ and dY summed back to their
 * (broadcast) shapes, and dX follows the normalized-gradient formula over the axes from `axis` on.
 */
export const layerNorm: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b, node } = ctx;
  const x = ctx.x(0), scale = ctx.x(1), bias = node.input(2);
  const rank = ctx.rank(x);
  const a = node.attrInt('axis', -1);
  const axes = range(a < 0 ? a + rank : a, rank);
  const xType = ctx.dtype(x);
  const stash = node.attrInt('stash_type', 1) === 1 ? 'float32' : xType;
  const asX = (v: Value): Value => (stash === xType ? v : b.op('Cast', [v], { to: dtypeCode(xType) }));
  const inv = asX(ctx.y(2));
  const xhat = b.op('Mul', [b.op('Sub', [x, asX(ctx.y(1))]), inv]);
  const dX = ctx.needs[0] ? normalizedGrad(ctx, b.op('Mul', [dy, scale]), xhat, inv, axes) : undefined;
  const dScale = ctx.needs[1] ? ctx.unbroadcast(b.op('Mul', [dy, xhat]), scale) : undefined;
  const dB = bias && ctx.needs[2] ? ctx.unbroadcast(dy, bias) : undefined;
  return [dX, dScale, dB];
};

/**
 * InstanceNormalization: statistics per sample and channel over the spatial axes. It has no statistics outputs, so
 * the mean and σ⁻¹ are recomputed in the backward graph; then as LayerNormalization with per-channel scale and bias.
 */
export const instanceNorm: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const { b } = ctx;
  const x = ctx.x(0), scale = ctx.x(1);
  const rank = ctx.rank(x);
  const axes = range(2, rank);
  const centered = b.op('Sub', [x, reduceMean(ctx, x, axes, true)]);
  const variance = reduceMean(ctx, b.op('Mul', [centered, centered]), axes, true);
  const inv = invStd(ctx, variance, ctx.node.attrFloat('epsilon', 1e-5), ctx.dtype(x));
  const xhat = b.op('Mul', [centered, inv]);
  const dX = ctx.needs[0] ? normalizedGrad(ctx, b.op('Mul', [dy, perChannel(ctx, scale, rank)]), xhat, inv, axes) : undefined;
  const dScale = ctx.needs[1] ? reduceSum(ctx, b.op('Mul', [dy, xhat]), [0, ...axes], false) : undefined;
  const dB = ctx.needs[2] ? reduceSum(ctx, dy, [0, ...axes], false) : undefined;
  return [dX, dScale, dB];
};

/** Where one rewritten BatchNormalization exposes its batch statistics, and what updating its running stats needs. */
export interface BatchNormStat {
  /** Name of the BatchNormalization node that was rewritten (`BatchNormalization_<k>` for an unnamed k-th node). */
  readonly node: string;
  /** Graph output holding the batch mean, [C]: `bnstat/<node>/mean`. */
  readonly mean: string;
  /** Graph output holding the biased batch variance (divided by the count), [C]: `bnstat/<node>/var`. */
  readonly var: string;
  /** The running-mean and running-variance values (node inputs 3 and 4; initializers in an exported model). */
  readonly runningMean: string;
  readonly runningVar: string;
  /** ONNX momentum: running = momentum·running + (1 − momentum)·batch. 0.9 is PyTorch's momentum 0.1. */
  readonly momentum: number;
  /** Elements per channel and sample (H·W·…; 1 for [N, C] inputs), when static: count = N·spatialSize. */
  readonly spatialSize: number | undefined;
}

/** What {@link batchNormToTraining} returns. */
export interface TrainingBatchNorm {
  /** The rewritten model (the source is not changed). */
  readonly model: Model;
  /** One entry per rewritten node, in graph order. */
  readonly stats: readonly BatchNormStat[];
}

/**
 * Rewrites every ai.onnx BatchNormalization into training form with batch statistics, as standard ops the gradient
 * rules already cover: mean = ReduceMean(X, [0, 2, …]), d = X − mean, var = ReduceMean(d·d), Y = d / √(var + ε) ·
 * scale + B (scale and B reshaped to [C, 1, …]). The output keeps its name. Each node's batch mean and biased batch
 * variance become extra graph outputs named `bnstat/<node>/mean` and `bnstat/<node>/var` ([C]), which a trainer reads
 * after each step to update the running statistics with {@link updateRunningStats} (the running-stat inputs are no
 * longer read by the graph but stay in it, so the model can be turned back into inference form by the trainer).
 *
 * @throws SecateursError `AUTODIFF_UNSUPPORTED` for a node whose running-stat outputs (training_mode=1) are used, or
 *   with spatial=0, or whose input rank is unknown.
 * @example
 * ```ts
 * const { model: train, stats } = batchNormToTraining(model);
 * stats[0];  // { node: 'bn', mean: 'bnstat/bn/mean', var: 'bnstat/bn/var', runningMean: 'bn.mean', ... }
 * const { model: lossModel, loss } = withLoss(train, { kind: 'cross-entropy', logits: 'logits' });
 * const grads = buildGradientGraph(lossModel, { loss, wrt: params });   // bnstat/* stay graph outputs
 * ```
 */
export function batchNormToTraining(model: Model): TrainingBatchNorm {
  const out = cloneModel(model);
  inferShapes(out);
  const g = out.graph;
  const opset = out.opsets.get('') ?? out.opsets.get('ai.onnx') ?? 0;
  const e: Emitter = { b: new GraphBuilder(g), opset };
  const targets = g.nodes.filter((n) => n.opType === 'BatchNormalization' && (n.domain === '' || n.domain === 'ai.onnx'));
  const problems: string[] = [];
  const stats: BatchNormStat[] = [];
  targets.forEach((node, k) => {
    const name = node.name || `BatchNormalization_${k}`;
    const problem = checkBatchNorm(node, g.outputs);
    if (problem) problems.push(`node '${name}': ${problem}`);
    else stats.push(inScope(e.b, name, () => rewriteBatchNorm(e, node, name)));
  });
  if (problems.length > 0) {
    throw new SecateursError('AUTODIFF_UNSUPPORTED', `batchNormToTraining(graph '${g.name}'): ${problems.join('; ')}.`);
  }
  toposort(g);
  return { model: out, stats };
}

function checkBatchNorm(node: Node, outputs: readonly Value[]): string | undefined {
  if (node.attrInt('spatial', 1) === 0) return 'spatial=0 (per-element statistics) is not supported';
  const used = node.outputs.slice(1).some((v) => v && (v.uses.length > 0 || outputs.includes(v)));
  if (used) return 'its running-stat outputs (training_mode=1) are used; read the bnstat/* outputs instead';
  if (!node.input(0)?.shape) return `the rank of input '${node.input(0)?.name ?? '?'}' is unknown`;
  return undefined;
}

function rewriteBatchNorm(e: Emitter, node: Node, name: string): BatchNormStat {
  const { b } = e;
  const g = b.graph;
  const [x, scale, bias, runMean, runVar] = [0, 1, 2, 3, 4].map((i) => node.input(i)) as Value[];
  const shape = x!.shape!;
  const dtype = x!.dtype ?? 'float32';
  const rank = shape.length;
  const mean = reduceMean(e, x!, [0, ...range(2, rank)], true);
  const d = b.op('Sub', [x!, mean]);
  const variance = reduceMean(e, b.op('Mul', [d, d]), [0, ...range(2, rank)], true);
  const std = b.op('Sqrt', [b.op('Add', [variance, b.scalar(node.attrFloat('epsilon', 1e-5), dtype)])]);
  const y = b.op('Add', [b.op('Mul', [b.op('Div', [d, std]), perChannel(e, scale!, rank)]), perChannel(e, bias!, rank)]);
  const channels: Dim[] = [shape[1] ?? null];
  const meanOut = b.output(reshape(e, mean, [-1]), { name: `bnstat/${name}/mean`, dtype, shape: channels });
  const varOut = b.output(reshape(e, variance, [-1]), { name: `bnstat/${name}/var`, dtype, shape: channels });
  // The rewritten output takes over the original name (graph outputs and consumers keep theirs).
  const old = node.output(0)!;
  g.removeNode(node);
  for (const v of node.outputs.slice(1)) if (v && v.uses.length === 0) g.dropValue(v);
  g.replaceAllUses(old, y);
  g.dropValue(old);
  g.renameValue(y, old.name);
  [y.dtype, y.shape] = [dtype, [...shape]];
  const spatial = shape.slice(2);
  return {
    node: name, mean: meanOut.name, var: varOut.name, runningMean: runMean!.name, runningVar: runVar!.name,
    momentum: node.attrFloat('momentum', 0.9),
    spatialSize: spatial.every((s): s is number => typeof s === 'number') ? spatial.reduce((p, s) => p * s, 1) : undefined,
  };
}

function inScope<T>(b: GraphBuilder, name: string, fn: () => T): T {
  const parts = name.split('/').filter((p) => p !== '');
  const go = (i: number): T => (i >= parts.length ? fn() : b.scope(parts[i]!, () => go(i + 1)));
  return go(0);
}

/**
 * Updates running statistics in place from one batch's `bnstat/*` outputs, PyTorch's way: running_mean =
 * m·running_mean + (1 − m)·mean, running_var = m·running_var + (1 − m)·var·n/(n − 1) (the unbiased batch variance),
 * with m the ONNX momentum (0.9 ↔ PyTorch 0.1) and n = batch·spatialSize elements per channel.
 *
 * @example
 * ```ts
 * const out = await session.run(feeds);   // a batch of 32
 * const batch = { mean: out[stat.mean]!.data as Float32Array, var: out[stat.var]!.data as Float32Array };
 * updateRunningStats({ mean: runningMean, var: runningVar }, batch, { momentum: stat.momentum, count: 32 * stat.spatialSize! });
 * ```
 */
export function updateRunningStats(
  running: { readonly mean: Float32Array | Float64Array; readonly var: Float32Array | Float64Array },
  batch: { readonly mean: ArrayLike<number>; readonly var: ArrayLike<number> },
  opts: { readonly momentum: number; readonly count: number },
): void {
  const { momentum: m, count: n } = opts;
  if (!(m >= 0 && m <= 1)) throw new RangeError(`'momentum' must be in [0, 1], got ${m}.`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`'count' must be an integer >= 1, got ${n}.`);
  const c = running.mean.length;
  if (running.var.length !== c || batch.mean.length !== c || batch.var.length !== c) {
    throw new RangeError(`running and batch statistics must all have ${c} channels, found ${running.var.length}/${batch.mean.length}/${batch.var.length}.`);
  }
  const unbias = n > 1 ? n / (n - 1) : 1;
  for (let i = 0; i < c; i++) {
    running.mean[i] = m * running.mean[i]! + (1 - m) * batch.mean[i]!;
    running.var[i] = m * running.var[i]! + (1 - m) * batch.var[i]! * unbias;
  }
}
