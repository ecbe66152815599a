/**
 * Unstructured and semi-structured pruning of ONNX models: which weights are prunable (from the graph), importance
 * criteria, masks (element, N:M, block; layer-wise, global, explicit), replayable plans, sensitivity sweeps in
 * worker threads, sparsity allocation with cross-validation, and ShrinkBench reports. Analysis returns plain data;
 * only `applyMasks` builds a changed model (a copy).
 *
 * Error codes (SecateursError): `PRUNE_BAD_INPUT` (every problem of the input, listed together),
 * `PRUNE_UNKNOWN_LAYER`, `PRUNE_UNKNOWN_CRITERION`, `PRUNE_GRADIENTS`, `PRUNE_ACTIVATIONS`, `PRUNE_BAD_SCORES`,
 * `PRUNE_INFEASIBLE`, `PRUNE_PLAN_MALFORMED`, `PRUNE_WORKER`. Numbers outside their interval are RangeErrors.
 *
 * @example
 * ```ts
 * import { planPruning, applyMasks, pruneReport } from './prune/index.js';
 * const plan = await planPruning(model, { criterion: 'magnitude', scope: { kind: 'global', sparsity: 0.9 } });
 * const pruned = applyMasks(model, plan);
 * console.log((await pruneReport(pruned)).compressionRatio);   // ≈ 10
 * ```
 */
export {
  analyzeTargets, findTargets, targetTensor, traceConstant, TARGET_RULES,
  type ActivationSlot, type PruneTarget, type SkippedTensor, type TargetUse,
} from './targets.js';
export { inputView, matrixView, rowView, type MatrixView } from './views.js';
export {
  describeSelector, edgeTargets, matchesSelector, selectTargets,
  type LayerSelection, type LayerSelector,
} from './selectors.js';
export type { CriterionEntry, CriterionName, GradientSource, GradientStats, ScoreInput } from './criteria/types.js';
export { magnitudeScores, randomScores } from './criteria/magnitude.js';
export { fisherScores, movementScores, snipScores, taylorScores, taylorSquaredScores } from './criteria/gradient.js';
export { inputChannels, inputFeatureNorms, wandaScores, type NormOptions } from './criteria/wanda.js';
export { CRITERIA, criterion } from './criteria/registry.js';
export { scoreProblems, scoreTargets, type ScoreMap, type ScoreTargetsOptions } from './criteria/score.js';
export type { Granularity, GlobalNormalization, MaskOptions, PruneScope, SparsityLimit } from './masks/types.js';
export { argsortScores, lowestK, Ranking } from './masks/rank.js';
export { checkNM, nmMask, nmPrunedCount } from './masks/nm.js';
export { blockMask, checkBlock, type BlockShape } from './masks/block.js';
export { fixedCounts, globalCounts, layerBounds, normalizer, type Bounds } from './masks/counts.js';
export {
  decodeMask, encodeMask, layerPlan, planFromJson, planToJson,
  type LayerPlan, type MaskEncoding, type PrunePlan,
} from './masks/plan.js';
export { compareOf, computeMasks, maskProblems } from './masks/compute.js';
export { applyMasks, maskTensor } from './masks/apply.js';
export { planPruning, type PlanPruningOptions } from './plan-pruning.js';
export {
  analyzeSensitivity, DEFAULT_LEVELS,
  type SensitivityOptions, type SensitivityResult, type SensitivityRow,
} from './sensitivity.js';
export type { CellMetrics, SweepMetric } from './sweep/evaluator.js';
export { hashParts, SensitivityCache } from './sensitivity-cache.js';
export {
  renderSensitivityChart, sensitivityChartSpec, sensitivityFromJson, sensitivityToCsv, sensitivityToJson, writeSensitivity,
  type ChartMetric,
} from './sensitivity-output.js';
export {
  allocateSparsity, defaultMetric, dropAt, sensitivityCurves, thresholdSparsities,
  type AllocateOptions, type Allocation, type AllocationMetric, type AllocationTarget, type Curve,
} from './allocate.js';
export {
  crossValidateThreshold, kFolds, mergeSweeps,
  type CrossValidateOptions, type CrossValidation, type FoldScore, type ThresholdSummary,
} from './crossval.js';
export { formatPruneReport, layerMacs, pruneReport, type PruneLayerReport, type PruneReport } from './report.js';
export { checkSparsity } from './validate.js';
export * from './schedules/index.js';
