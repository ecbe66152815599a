/**
 * One call from a model to a structurally pruned model: analysis, scoring (weights, gradients or activations),
 * planning to a channel ratio, a MAC target or a measured-latency target, and the physical removal. Options are
 * checked before any work; the result keeps the plan, the dependency graph and what the planner predicted, so a
 * caller can verify it (the measured latency) and repair it (BatchNorm re-calibration, least squares, fine-tuning).
 * @module
 */
import type { Dataset } from '../../data/index.js';
import { SecateursError } from '../../errors.js';
import type { Model } from '../../ir/graph.js';
import { buildDependencyGraph } from './analyze.js';
import { applyStructuredPlan } from './apply.js';
import { checkPlan } from './removal.js';
import { predictLatency, type LatencyTable } from './latency.js';
import { latencyTable, type LatencyTableOptions } from './latency-measure.js';
import { planMacs, planParams } from './macs.js';
import { GROUP_KINDS, planByRatio, planToTarget, type GroupKind, type TargetPlan } from './plan.js';
import { GROUP_CRITERIA, scoreGroups, type GroupCriterion, type GroupNormalization, type GroupReduction } from './score.js';
import { collectGroupStatistics, type DataCriterion, type StatisticsOptions } from './statistics.js';
import type { DependencyGraph, StructuredPlan } from './types.js';

/**
 * What to prune to: a fraction of every group's channels, or a fraction of the dense model's parameters, MACs or
 * measured latency.
 */
export type StructuredTarget =
  | { readonly kind: 'ratio'; readonly ratio: number }
  /** A plan made earlier (e.g. read with `loadPlan`): applied as it is, no scoring. */
  | { readonly kind: 'plan'; readonly plan: StructuredPlan }
  | { readonly kind: 'params'; readonly keep: number }
  | { readonly kind: 'macs'; readonly keep: number }
  | { readonly kind: 'latency'; readonly keep: number; readonly table?: LatencyTableOptions };

/** Options of {@link pruneStructured}. */
export interface StructuredOptions {
  readonly criterion: GroupCriterion;
  readonly target: StructuredTarget;
  readonly reduction?: GroupReduction;
  readonly normalize?: GroupNormalization;
  /** Kept counts are multiples of this; default 1. */
  readonly roundTo?: number;
  /** `layer` (default): every group loses the same fraction; `global`: one ranking of all channels (see `planByRatio`). */
  readonly scope?: 'layer' | 'global';
  readonly protect?: RegExp;
  /** Group kinds to prune; default all. */
  readonly kinds?: readonly GroupKind[];
  /** Seed of the random criterion; default 0. */
  readonly seed?: number;
  /** Calibration samples for 'taylor', 'fisher' and 'activation' (required by them, unused by the others). */
  readonly data?: Dataset;
  /** Batches, batch size, samples and threads of the statistics. */
  readonly statistics?: Omit<StatisticsOptions, 'criterion' | 'log'>;
  readonly log?: (line: string) => void;
}

/** What {@link pruneStructured} did and predicted. */
export interface StructuredResult {
  readonly model: Model;
  readonly plan: StructuredPlan;
  readonly graph: DependencyGraph;
  /** The channel ratio of the plan (the one given, or the one the target search found). */
  readonly ratio: number;
  readonly macs: { readonly dense: number; readonly pruned: number };
  /** Parameters (weights and biases) before and after, counted from the plan. */
  readonly params: { readonly dense: number; readonly pruned: number };
  /** With a latency target: the table and the planner's prediction. */
  readonly latency?: { readonly table: LatencyTable; readonly cached: boolean; readonly target: number; readonly predictedMs: number; readonly predictedFraction: number };
}

const DATA_CRITERIA: ReadonlySet<GroupCriterion> = new Set(['taylor', 'fisher', 'activation']);

/** True for the criteria that read calibration data. */
export function isDataCriterion(c: GroupCriterion): c is DataCriterion {
  return DATA_CRITERIA.has(c);
}

/**
 * Checks structured-pruning options without doing any work: every problem is reported together. `dataGiven` says
 * whether calibration data will come (a caller that loads it later passes true).
 *
 * @throws RangeError naming each bad option and its valid range.
 * @example
 * ```ts
 * checkStructuredOptions({ criterion: 'taylor', target: { kind: 'ratio', ratio: 0.5 } });   // throws: needs 'data'
 * ```
 */
export function checkStructuredOptions(o: StructuredOptions, dataGiven = o.data !== undefined): void {
  const problems: string[] = [];
  if (!GROUP_CRITERIA.includes(o.criterion)) problems.push(`'criterion' must be one of ${GROUP_CRITERIA.join(', ')}, got '${o.criterion}'`);
  if (DATA_CRITERIA.has(o.criterion) && !dataGiven && o.target.kind !== 'plan') problems.push(`criterion '${o.criterion}' needs calibration data ('data'); l1, l2, bn-scale and random do not`);
  const t = o.target;
  switch (t.kind) {
    case 'ratio': if (!(t.ratio >= 0 && t.ratio < 1)) problems.push(`'ratio' must be in [0, 1), got ${t.ratio}`); break;
    case 'plan': break;
    case 'params': if (!(t.keep > 0 && t.keep <= 1)) problems.push(`'targetParams' must be in (0, 1], got ${t.keep}`); break;
    case 'macs': if (!(t.keep > 0 && t.keep <= 1)) problems.push(`'targetMacs' must be in (0, 1], got ${t.keep}`); break;
    case 'latency': if (!(t.keep > 0 && t.keep <= 1)) problems.push(`'targetLatency' must be in (0, 1], got ${t.keep}`); break;
  }
  const roundTo = o.roundTo ?? 1;
  if (!Number.isInteger(roundTo) || roundTo < 1) problems.push(`'roundTo' must be an integer >= 1, got ${roundTo}`);
  if (o.scope !== undefined && o.scope !== 'layer' && o.scope !== 'global') problems.push(`'scope' must be layer or global, got '${String(o.scope)}'`);
  const bad = (o.kinds ?? []).filter((k) => !GROUP_KINDS.includes(k));
  if (bad.length > 0 || (o.kinds && o.kinds.length === 0)) problems.push(`'kinds' must be a non-empty list of ${GROUP_KINDS.join(', ')}, got [${(o.kinds ?? []).join(', ')}]`);
  if (problems.length > 0) throw new RangeError(problems.length === 1 ? `${problems[0]}.` : `${problems.length} problems: ${problems.join('; ')}.`);
}

/**
 * Scores, plans and removes channel groups of `model` (a copy; the input is untouched).
 *
 * @throws RangeError from {@link checkStructuredOptions}; SecateursError `PRUNE_TARGET` when the parameter, MAC or latency target
 *   cannot be reached with the prunable groups (the message says how far the most pruned plan gets).
 * @example
 * ```ts
 * const r = await pruneStructured(model, { criterion: 'taylor', data: calib, target: { kind: 'latency', keep: 0.5 }, roundTo: 8 });
 * r.latency?.predictedFraction;   // <= 0.5
 * ```
 */
export async function pruneStructured(model: Model, o: StructuredOptions): Promise<StructuredResult> {
  checkStructuredOptions(o);
  const log = o.log ?? (() => undefined);
  const dg = buildDependencyGraph(model);
  const prunable = dg.groups.filter((g) => !g.blocked).length;
  const statistics = isDataCriterion(o.criterion) && o.target.kind !== 'plan'
    ? await collectGroupStatistics(model, dg, o.data!, { ...o.statistics, criterion: o.criterion, log })
    : undefined;
  const scores = o.target.kind === 'plan' ? new Map<number, Float32Array>() : scoreGroups(dg, {
    criterion: o.criterion, seed: o.seed ?? 0, ...(o.reduction ? { reduction: o.reduction } : {}), ...(o.normalize ? { normalize: o.normalize } : {}),
    ...(statistics ? { statistics } : {}),
  });
  const base = { roundTo: o.roundTo ?? 1, ...(o.scope ? { scope: o.scope } : {}), ...(o.protect ? { protect: o.protect } : {}), ...(o.kinds ? { kinds: o.kinds } : {}) };
  const macs = planMacs(dg);
  const params = planParams(dg);
  const t = o.target;
  let found: TargetPlan;
  let latency: StructuredResult['latency'];
  switch (t.kind) {
    case 'ratio': {
      const plan = planByRatio(dg, scores, { ...base, ratio: t.ratio });
      found = { plan, ratio: t.ratio, cost: macs.of(plan), denseCost: macs.dense, reached: true };
      break;
    }
    case 'plan': {
      checkPlan(dg, t.plan);
      const removed = t.plan.groups.reduce((a, e) => a + e.prune.length, 0);
      const total = dg.groups.filter((g) => t.plan.groups.some((e) => e.id === g.id)).reduce((a, g) => a + g.channels, 0);
      found = { plan: t.plan, ratio: total > 0 ? removed / total : 0, cost: macs.of(t.plan), denseCost: macs.dense, reached: true };
      break;
    }
    case 'params':
      found = reach(planToTarget(dg, scores, { ...base, cost: (p) => params.of(p), target: t.keep * params.dense }), 'parameters', t.keep);
      break;
    case 'macs':
      found = reach(planToTarget(dg, scores, { ...base, cost: (p) => macs.of(p), target: t.keep * macs.dense }), 'MACs', t.keep);
      break;
    case 'latency': {
      const { table, cached } = await latencyTable(model, dg, { roundTo: base.roundTo, log, ...t.table });
      log(`latency table ${cached ? 'from the cache' : 'measured'}: dense ${table.denseMs.toFixed(3)} ms, ${table.layers.length} layers`);
      found = reach(planToTarget(dg, scores, { ...base, cost: (p) => predictLatency(table, dg, p).ms, target: t.keep * table.denseMs }), 'latency', t.keep);
      latency = { table, cached, target: t.keep, predictedMs: found.cost, predictedFraction: found.cost / table.denseMs };
      break;
    }
  }
  log(`removing ${(found.ratio * 100).toFixed(1)}% of the channels of ${found.plan.groups.length} of ${prunable} prunable groups (${o.criterion})`);
  const pruned = applyStructuredPlan(model, found.plan, { graph: dg });
  return {
    model: pruned, plan: found.plan, graph: dg, ratio: found.ratio, macs: { dense: macs.dense, pruned: macs.of(found.plan) },
    params: { dense: params.dense, pruned: params.of(found.plan) }, ...(latency ? { latency } : {}),
  };
}

function reach(r: TargetPlan, what: string, keep: number): TargetPlan {
  if (r.reached) return r;
  throw new SecateursError('PRUNE_TARGET', `cannot reach ${keep} of the dense ${what}: removing all but the smallest rounded block of every prunable group leaves ${(r.cost / r.denseCost).toFixed(3)}; lower 'roundTo', drop 'protect', or aim higher.`);
}
