/**
 * Gradient rule rows of the neural-network layers: convolutions, pooling, normalization, spliced into the main
 * registry table (`GRAD_RULES` in registry.ts). Recurrent layers have no row: they
 * are unrolled into standard ops by `unrollRecurrent` (rules/recurrent.ts) before differentiation, and
 * BatchNormalization in training mode is rewritten by `batchNormToTraining` (rules/norm.ts).
 *
 * | op | gradient |
 * |---|---|
 * | Conv | dX = ConvTranspose(dY, W) (end pads / output_padding recomputed); dW per node by `pickWeightGrad`: one Conv of the batch-transposed tensors (most convs: no im2col buffer), or im2col by Slice + batched FusedMatMul (1x1 kernels, small stride-1 kernels); dB = ReduceSum |
 * | ConvTranspose | dX = Conv(dY, W) with the same attributes; dW as for Conv with input and gradient swapped; dB = ReduceSum |
 * | MaxPool (opset 8+) | Indices output; dY scatter-added at them (ScatterElements reduction 'add', opset 16+; disjoint windows from 11) |
 * | AveragePool | ConvTranspose(dY / divisor, ones kernel, group = C); divisor from AveragePool of ones |
 * | GlobalAveragePool, GlobalMaxPool | Expand(dY / HW); dY to the cells equal to the max (ties share) |
 * | BatchNormalization (inference) | dY·scale·σ⁻¹; Σ dY·x̂; Σ dY (running stats stop-gradient) |
 * | LayerNormalization (17+) | Mean/InvStdDev outputs; σ⁻¹(g − mean(g) − x̂·mean(g·x̂)), g = dY·scale; dScale, dB un-broadcast |
 * | InstanceNormalization | as LayerNormalization over the spatial axes, statistics recomputed |
 * @module
 */
import type { GradRule, GradRuleEntry } from '../types.js';
import * as C from './conv.js';
import * as N from './norm.js';
import * as P from './pool.js';

function row(opType: string, rule: GradRule, opts: { since?: number; differentiable?: readonly number[] } = {}): GradRuleEntry {
  return { domain: '', opType, since: opts.since ?? 1, rule, ...(opts.differentiable ? { differentiable: opts.differentiable } : {}) };
}

const FIRST = [0] as const;

/** The rows of the neural-network layers, in the format of the main table. */
export const NN_GRAD_RULES: readonly GradRuleEntry[] = [
  // rules/conv.ts
  row('Conv', C.conv), row('ConvTranspose', C.convTranspose),
  // rules/pool.ts
  row('MaxPool', P.maxPool, { since: 8, differentiable: FIRST }), row('AveragePool', P.averagePool),
  row('GlobalAveragePool', P.globalAveragePool), row('GlobalMaxPool', P.globalMaxPool),
  // rules/norm.ts
  row('BatchNormalization', N.batchNormInference, { differentiable: [0, 1, 2] }),
  row('LayerNormalization', N.layerNorm, { since: 17 }), row('InstanceNormalization', N.instanceNorm),
];
