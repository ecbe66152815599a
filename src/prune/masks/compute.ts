/**
 * From scores to a PrunePlan: validates everything first (collecting every problem), then counts per layer
 * (scope + limits) and builds each layer's mask at the chosen granularity. Never touches the model.
 */
import type { Model } from '../../ir/graph.js';
import { CRITERIA } from '../criteria/registry.js';
import type { ScoreMap } from '../criteria/score.js';
import { listTargets, selectTargets, unmatchedSelectors } from '../selectors.js';
import { findTargets, type PruneTarget } from '../targets.js';
import { checkSparsity, failOn } from '../validate.js';
import { rowView } from '../views.js';
import { blockMask, checkBlock } from './block.js';
import { fixedCounts, globalCounts, layerBounds } from './counts.js';
import { checkNM, nmMask } from './nm.js';
import { layerPlan, type PrunePlan } from './plan.js';
import { lowestK } from './rank.js';
import type { Granularity, MaskOptions, PruneScope } from './types.js';

/** Throws a RangeError for a bad number in a granularity. */
function checkGranularity(g: Granularity): void {
  switch (g.kind) {
    case 'element': return;
    case 'nm': return checkNM(g.n, g.m);
    case 'block': return checkBlock(g);
    default: throw new RangeError(`granularity kind must be 'element', 'nm' or 'block', got '${String((g as { kind?: unknown }).kind)}'.`);
  }
}

function scopeProblems(scope: PruneScope | undefined, g: Granularity, compare: 'layer' | 'row', targets: readonly PruneTarget[], selected: readonly PruneTarget[]): string[] {
  if (g.kind === 'nm') return scope ? [`N:M granularity fixes each layer's sparsity at (M−N)/M; leave 'scope' out`] : [];
  if (!scope) return [`'scope' is required (layer, global or explicit)`];
  switch (scope.kind) {
    case 'layer': checkSparsity(scope.sparsity, 'scope.sparsity'); return [];
    case 'global':
      checkSparsity(scope.sparsity, 'scope.sparsity');
      if (g.kind !== 'element') return [`a global scope ranks single weights; use element granularity (got ${g.kind})`];
      return compare === 'row' ? [`a global scope compares whole layers; per-row comparison needs a layer or explicit scope`] : [];
    case 'explicit': {
      const problems: string[] = [];
      for (const [name, s] of Object.entries(scope.sparsities)) {
        checkSparsity(s, `scope.sparsities['${name}']`);
        if (!targets.some((t) => t.name === name)) problems.push(`scope.sparsities names '${name}', which is not a prunable layer; prunable layers: ${listTargets(targets)}`);
        else if (!selected.some((t) => t.name === name)) problems.push(`scope.sparsities names '${name}', which the layer selection excludes`);
      }
      return problems;
    }
    default: throw new RangeError(`scope kind must be 'layer', 'global' or 'explicit', got '${String((scope as { kind?: unknown }).kind)}'.`);
  }
}

function limitProblems(options: MaskOptions, targets: readonly PruneTarget[]): string[] {
  const out: string[] = [];
  for (const [i, l] of (options.limits ?? []).entries()) {
    if (l.min !== undefined) checkSparsity(l.min, `limits[${i}].min`);
    if (l.max !== undefined && !(l.max >= 0 && l.max <= 1)) throw new RangeError(`'limits[${i}].max' is ${l.max}, out of range [0, 1].`);
    if ((l.min ?? 0) > (l.max ?? 1)) out.push(`limits[${i}] has min ${l.min} above max ${l.max}`);
    out.push(...unmatchedSelectors(l.layers, targets, `limits[${i}] selector`));
  }
  return out;
}

/** The comparison element masks use: the option, else the criterion's default. */
export function compareOf(options: MaskOptions): 'layer' | 'row' {
  if (options.compare) return options.compare;
  const c = options.criterion;
  return c !== undefined && Object.hasOwn(CRITERIA, c) ? CRITERIA[c as keyof typeof CRITERIA].compare : 'layer';
}

/**
 * Every problem with mask options for `model`, and the selected layers. RangeErrors (a number outside its
 * interval) are thrown at once; everything else is collected.
 *
 * @example
 * ```ts
 * const { selected, problems } = maskProblems(model, findTargets(model), { scope: { kind: 'layer', sparsity: 0.5 } });
 * ```
 */
export function maskProblems(model: Model, targets: readonly PruneTarget[], options: MaskOptions): { selected: PruneTarget[]; problems: string[] } {
  const g = options.granularity ?? { kind: 'element' };
  checkGranularity(g);
  const compare = compareOf(options);
  const { selected, problems } = selectTargets(model, targets, options);
  problems.push(...scopeProblems(options.scope, g, compare, targets, selected), ...limitProblems(options, targets));
  if (compare === 'row' && g.kind !== 'element') problems.push(`per-row comparison applies to element granularity only (got ${g.kind})`);
  return { selected, problems };
}

function scoreProblems(selected: readonly PruneTarget[], scores: ScoreMap): string[] {
  return selected.flatMap((t) => {
    const s = scores.get(t.name);
    if (!s) return [`no scores for layer '${t.name}'`];
    return s.length === t.size ? [] : [`layer '${t.name}' has ${t.size} weights but ${s.length} scores`];
  });
}

function counts(selected: readonly PruneTarget[], scores: ScoreMap, options: MaskOptions): Map<string, number> {
  const bounds = layerBounds(selected, options.limits);
  const scope = options.scope!;
  return scope.kind === 'global'
    ? globalCounts(selected, scores, scope.sparsity, bounds, scope.normalize ?? 'none')
    : fixedCounts(selected, scope, bounds);
}

function maskFor(t: PruneTarget, scores: Float32Array, g: Granularity, compare: 'layer' | 'row', k: number): Uint8Array {
  switch (g.kind) {
    case 'element': return lowestK(scores, k, compare === 'row' ? rowView(t) : undefined);
    case 'nm': return nmMask(scores, t, g.n, g.m);
    case 'block': return blockMask(scores, t, g, k);
  }
}

/**
 * Computes the masks of the selected layers from their scores and returns them as a plan. Pure: neither the model
 * nor the scores are modified.
 *
 * @throws RangeError for numbers outside their interval; SecateursError `PRUNE_BAD_INPUT` listing every other
 *   problem (selectors matching nothing, empty selection, missing scores, ...); `PRUNE_INFEASIBLE` for limits a
 *   global scope cannot meet.
 * @example
 * ```ts
 * const scores = await scoreTargets(model, findTargets(model));
 * const plan = computeMasks(model, scores, { scope: { kind: 'global', sparsity: 0.9 }, keepClassifier: true });
 * const pruned = applyMasks(model, plan);
 * ```
 */
export function computeMasks(model: Model, scores: ScoreMap, options: MaskOptions): PrunePlan {
  const targets = findTargets(model);
  const { selected, problems } = maskProblems(model, targets, options);
  problems.push(...scoreProblems(selected, scores));
  failOn(problems, 'computeMasks');
  const g = options.granularity ?? { kind: 'element' };
  const compare = compareOf(options);
  const k = g.kind === 'nm' ? undefined : counts(selected, scores, options);
  return {
    format: 'secateurs/prune-plan',
    version: 1,
    criterion: options.criterion ?? 'magnitude',
    granularity: g,
    scope: options.scope,
    layers: selected.map((t) => layerPlan(t.name, t.shape, maskFor(t, scores.get(t.name)!, g, compare, k?.get(t.name) ?? 0))),
  };
}
