/**
 * Automatic differentiation of ONNX graphs with standard ops: per-op gradient rules in one explicit table, a backward
 * graph builder, losses to append to a forward graph, and the finite-difference checker the rules are tested with.
 *
 * @example
 * ```ts
 * import { buildGradientGraph, withLoss } from './autodiff/index.js';
 * const { model: lossModel, loss } = withLoss(model, { kind: 'cross-entropy', logits: 'logits' });
 * const grad = buildGradientGraph(lossModel, { loss, wrt: ['fc1.weight', 'fc1.bias'] });
 * // one onnxruntime session: feeds x, labels and the parameters; outputs loss and grad/<param>
 * ```
 * @module
 */
export { buildGradientGraph, type GradientGraph, type GradientOptions, type GradientParam } from './backward.js';
export { assertGradients, checkGradients, type GradCheckEntry, type GradCheckOptions, type GradCheckResult } from './check.js';
export {
  withLoss, type CrossEntropyLoss, type DistillKlLoss, type LossModel, type LossSpec, type MseLoss,
} from './losses.js';
export { findRule, GRAD_RULES, missingRuleError, opsWithRules, type MissingRule } from './registry.js';
export type { Emitter, GradContext, GradRule, GradRuleEntry } from './types.js';
export { broadcastAxes, unbroadcast, type BroadcastAxes } from './unbroadcast.js';
export { NN_GRAD_RULES } from './rules/table-nn.js';
export { batchNormToTraining, updateRunningStats, type BatchNormStat, type TrainingBatchNorm } from './rules/norm.js';
export { unrollRecurrent, type UnrolledModel } from './rules/recurrent.js';
