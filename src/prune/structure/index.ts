/**
 * Structured pruning: the dependency graph of coupled channels (analysis), plans, and their physical application
 * (the only mutation). Channel propagation rules live in one table (`CHANNEL_RULES`), one file per op family;
 * an op without a rule blocks its group with the reason, and custom rows go through `options.rules`.
 *
 * @example
 * ```ts
 * import { buildDependencyGraph, scoreGroups, planByRatio, applyStructuredPlan } from './prune/structure/index.js';
 * const dg = buildDependencyGraph(model);
 * const plan = planByRatio(dg, scoreGroups(dg, { criterion: 'l2' }), { ratio: 0.5, roundTo: 8 });
 * const pruned = applyStructuredPlan(model, plan, { graph: dg });
 * ```
 * @module
 */
export { buildDependencyGraph } from './analyze.js';
export { applyStructuredPlan, type ApplyOptions } from './apply.js';
export { describeGroups, type GroupRow } from './describe.js';
export {
  GROUP_KINDS, groupKind, planByRatio, planToTarget, roundKept, type GroupKind, type RatioOptions, type TargetOptions, type TargetPlan,
} from './plan.js';
export { keptLength, planMacs, planParams, removedCounts, type PlanMacs, type PlanParams, type RemovedCount } from './macs.js';
export { loadPlan, planFromFile, planToFile, PLAN_FORMAT, savePlan, type PlanFile } from './plan-file.js';
export { interpolate, layerMs, predictLatency, type ChannelAxis, type LatencyKey, type LatencyPrediction, type LatencyTable, type LayerTiming } from './latency.js';
export { latencyKey, latencyTable, measureLatency, measureLatencyTable, type LatencyCheck, type LatencyTableOptions } from './latency-measure.js';
export { reconstructConsumers, type LsqLayer, type LsqOptions, type LsqResult } from './lsq.js';
export { solveSpd } from './linalg.js';
export {
  checkStructuredOptions, isDataCriterion, pruneStructured, type StructuredOptions, type StructuredResult, type StructuredTarget,
} from './structured.js';
export { CHANNEL_RULES, findChannelRule } from './registry.js';
export {
  GROUP_CRITERIA, scoreGroups, type GroupCriterion, type GroupNormalization, type GroupReduction, type ScoreOptions,
} from './score.js';
export {
  collectGroupStatistics, type ActivationStatistics, type ActivationSums, type DataCriterion, type GradientStatistics, type GroupStatistics,
  type MemberSums, type StatisticsOptions,
} from './statistics.js';
export { seedMap } from './channel-map.js';
export { IN, OUT, block, broadcast, couple, fromClasses, link, passThrough, unary, type CouplingClass, type Slot } from './rules/common.js';
export type {
  Arrival, BlockReason, ChannelMap, ChannelRule, ChannelRuleEntry, DependencyGraph, DependencyOptions, Group, IndexMap,
  Link, Member, MemberRole, Port, RewriteKind, RewriteTask, RuleContext, RuleResult, Seed, StructuredPlan,
} from './types.js';
