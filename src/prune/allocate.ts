/**
 * Per-layer sparsity from sensitivity curves. The model is additive: pruning several layers is predicted to cost
 * the sum of their single-layer drops (drop = metric at the level − metric at level 0, sign-flipped for
 * accuracies), linearly interpolated between measured levels. Two strategies reach a target (a global sparsity,
 * a count of kept weights, or of kept MACs):
 *
 * - `greedy` (default): start dense; repeatedly take the move (one layer, from its level to any higher measured
 *   level) with the least predicted drop per unit saved — the lower convex hull of each curve, which also steps
 *   over noisy bumps — until the target is met; the last move stops part-way, so the target is met exactly.
 * - `threshold` (Distiller / NNI): each layer gets the largest level such that every level up to it drops at most
 *   τ; τ is the smallest value that meets the target (found by bisection over the measured drops), and the layers
 *   that moved at that last step are interpolated back so the total is exact.
 *
 * Sparsities are fractions; a plan then prunes round(s·n) per layer, so the achieved total can differ from the
 * target by at most one weight per layer (reported in `achieved`).
 */
import { SecateursError } from '../errors.js';
import type { SensitivityResult, SensitivityRow } from './sensitivity.js';
import { checkSparsity, failOn } from './validate.js';

/** Metrics an allocation can minimise the drop of. */
export type AllocationMetric = 'top1' | 'top5' | 'loss' | 'kl';

/** What to reach, over the layers of the sensitivity table. */
export type AllocationTarget =
  /** Fraction of their weights pruned. */
  | { readonly kind: 'sparsity'; readonly value: number }
  /** Weights kept (at most). */
  | { readonly kind: 'params'; readonly value: number }
  /** Nonzero MACs kept (at most); needs `layerMacs`. */
  | { readonly kind: 'macs'; readonly value: number };

/** Options of {@link allocateSparsity}. */
export interface AllocateOptions {
  /** Default: `loss` when the table has it, else `kl`. */
  readonly metric?: AllocationMetric;
  /** Default `greedy`. */
  readonly strategy?: 'greedy' | 'threshold';
  /** Dense MACs per layer name (see `layerMacs` in report.ts); required for a `macs` target. */
  readonly layerMacs?: Readonly<Record<string, number>>;
  /** Ignore levels above this; default: every measured level. */
  readonly maxSparsity?: number;
}

/** A layer's measured drop curve. `levels[0]` is 0 with drop 0. */
export interface Curve {
  readonly layer: string;
  readonly params: number;
  readonly levels: readonly number[];
  readonly drops: readonly number[];
}

/** The chosen sparsities and what they are predicted and counted to give. */
export interface Allocation {
  readonly sparsities: Readonly<Record<string, number>>;
  /** Σ of the layers' interpolated single-layer drops. */
  readonly predictedDrop: number;
  readonly metric: AllocationMetric;
  readonly strategy: 'greedy' | 'threshold';
  /** The tolerated drop τ (threshold strategy). */
  readonly threshold?: number;
  /** With exact counts round(s·n): fraction of weights pruned, weights kept, nonzero MACs kept (when known). */
  readonly achieved: { readonly sparsity: number; readonly keptParams: number; readonly keptMacs?: number };
}

type Rows = SensitivityResult | readonly SensitivityRow[];
const rowsOf = (r: Rows): readonly SensitivityRow[] => ('rows' in r ? r.rows : r);

/** The metric to use: the option, else `loss` when measured, else `kl`. */
export function defaultMetric(rows: readonly SensitivityRow[], metric?: AllocationMetric): AllocationMetric {
  return metric ?? (rows.some((r) => r.loss !== null) ? 'loss' : 'kl');
}

/**
 * Drop curves per layer, in table order. Accuracies (top1/top5) drop when they fall; loss and KL when they rise.
 *
 * @throws SecateursError `PRUNE_BAD_INPUT` when a layer lacks level 0 or a row lacks the metric.
 * @example
 * ```ts
 * sensitivityCurves(result, 'top1')[0];   // { layer: 'fc1/weight', params: 235200, levels: [0, ...], drops: [0, ...] }
 * ```
 */
export function sensitivityCurves(table: Rows, metric: AllocationMetric, maxSparsity = 1): Curve[] {
  const byLayer = new Map<string, SensitivityRow[]>();
  for (const r of rowsOf(table)) if (r.level <= maxSparsity) byLayer.set(r.layer, [...(byLayer.get(r.layer) ?? []), r]);
  const problems: string[] = [];
  const sign = metric === 'top1' || metric === 'top5' ? -1 : 1;
  const curves = [...byLayer].map(([layer, rs]) => {
    const sorted = [...rs].sort((a, b) => a.level - b.level);
    const base = sorted[0]!;
    if (base.level !== 0) problems.push(`layer '${layer}' has no level-0 row (its dense value)`);
    if (sorted.some((r) => r[metric] === null)) problems.push(`layer '${layer}' has rows without '${metric}'`);
    return { layer, params: base.params, levels: sorted.map((r) => r.level), drops: sorted.map((r) => sign * ((r[metric] ?? 0) - (base[metric] ?? 0))) };
  });
  if (curves.length === 0) problems.push('the sensitivity table has no rows');
  failOn(problems, 'sensitivityCurves');
  return curves;
}

/** A curve's drop at sparsity `s`, linear between measured levels (clamped at the ends). */
export function dropAt(c: Curve, s: number): number {
  const { levels, drops } = c;
  if (s <= levels[0]!) return drops[0]!;
  for (let j = 1; j < levels.length; j++) {
    if (s <= levels[j]!) {
      const f = (s - levels[j - 1]!) / (levels[j]! - levels[j - 1]!);
      return drops[j - 1]! + f * (drops[j]! - drops[j - 1]!);
    }
  }
  return drops[drops.length - 1]!;
}

/** Units saved per unit of sparsity for each layer (weights, or MACs). */
function unitsOf(curves: readonly Curve[], target: AllocationTarget, macs: Readonly<Record<string, number>> | undefined): number[] {
  if (target.kind !== 'macs') return curves.map((c) => c.params);
  const missing = curves.filter((c) => !(macs && Number.isFinite(macs[c.layer])));
  failOn(missing.map((c) => `a 'macs' target needs layerMacs['${c.layer}']`), 'allocateSparsity');
  return curves.map((c) => macs![c.layer]!);
}

/** Units that must be saved to reach the target. */
function required(target: AllocationTarget, units: readonly number[]): number {
  const total = units.reduce((a, b) => a + b, 0);
  switch (target.kind) {
    case 'sparsity': checkSparsity(target.value, 'target.value'); return target.value * total;
    case 'params': case 'macs':
      if (!(target.value >= 0 && Number.isFinite(target.value))) throw new RangeError(`'target.value' is ${target.value}, out of range [0, ∞).`);
      return Math.max(0, total - target.value);
    default: throw new RangeError(`target kind must be 'sparsity', 'params' or 'macs', got '${String((target as { kind?: unknown }).kind)}'.`);
  }
}

function infeasible(need: number, reach: number, target: AllocationTarget): SecateursError {
  return new SecateursError('PRUNE_INFEASIBLE', `target ${target.kind} ${target.value} needs ${need.toFixed(0)} units pruned, but the highest measured levels save only ${reach.toFixed(0)}; measure higher levels or relax the target.`);
}

/** Greedy on marginal drop per unit saved, over the lower convex hull of each curve. */
function greedy(curves: readonly Curve[], units: readonly number[], need: number, target: AllocationTarget): number[] {
  const idx = curves.map(() => 0);
  const s = curves.map(() => 0);
  let saved = 0;
  while (saved < need - 1e-9) {
    let best: { l: number; j: number; ratio: number; dS: number } | undefined;
    curves.forEach((c, l) => {
      for (let j = idx[l]! + 1; j < c.levels.length; j++) {
        const dS = units[l]! * (c.levels[j]! - c.levels[idx[l]!]!);
        if (dS <= 0) continue;
        const ratio = (c.drops[j]! - c.drops[idx[l]!]!) / dS;
        if (!best || ratio < best.ratio || (ratio === best.ratio && dS > best.dS)) best = { l, j, ratio, dS };
      }
    });
    if (!best) throw infeasible(need, saved, target);
    const { l, j, dS } = best;
    const from = curves[l]!.levels[idx[l]!]!;
    const to = curves[l]!.levels[j]!;
    const f = Math.min(1, (need - saved) / dS);
    s[l] = from + f * (to - from);
    saved += f * dS;
    idx[l] = j;
  }
  return s;
}

/** The largest level of a curve such that every level up to it drops at most `tau`. */
function levelWithin(c: Curve, tau: number): number {
  let k = 0;
  while (k + 1 < c.levels.length && c.drops[k + 1]! <= tau) k++;
  return c.levels[k]!;
}

/** Bisection on τ over the measured drops, then an exact interpolation of the last step. */
function byThreshold(curves: readonly Curve[], units: readonly number[], need: number, target: AllocationTarget): { s: number[]; tau: number } {
  const savedAt = (tau: number): number => curves.reduce((a, c, l) => a + units[l]! * levelWithin(c, tau), 0);
  const taus = [...new Set(curves.flatMap((c) => c.drops))].sort((a, b) => a - b);
  if (need <= 0) return { s: curves.map(() => 0), tau: 0 };
  if (savedAt(taus[taus.length - 1]!) < need) throw infeasible(need, savedAt(taus[taus.length - 1]!), target);
  let lo = 0;
  let hi = taus.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (savedAt(taus[mid]!) >= need) hi = mid;
    else lo = mid + 1;
  }
  const tau = taus[lo]!;
  const before = lo > 0 ? taus[lo - 1]! : -Infinity;
  const [a, b] = [savedAt(before), savedAt(tau)];
  const f = b > a ? (need - a) / (b - a) : 1;
  return { s: curves.map((c) => levelWithin(c, before) + f * (levelWithin(c, tau) - levelWithin(c, before))), tau };
}

function summarize(curves: readonly Curve[], s: readonly number[], macs: Readonly<Record<string, number>> | undefined): Allocation['achieved'] {
  const total = curves.reduce((a, c) => a + c.params, 0);
  const pruned = curves.map((c, l) => Math.round(s[l]! * c.params));
  const keptParams = total - pruned.reduce((a, b) => a + b, 0);
  const known = macs && curves.every((c) => Number.isFinite(macs[c.layer]));
  const keptMacs = known ? curves.reduce((a, c, l) => a + macs[c.layer]! * (1 - pruned[l]! / c.params), 0) : undefined;
  return { sparsity: total > 0 ? 1 - keptParams / total : 0, keptParams, ...(keptMacs !== undefined ? { keptMacs } : {}) };
}

/**
 * Chooses per-layer sparsities that reach `target` with the least predicted drop.
 *
 * @throws RangeError for a target outside its interval; SecateursError `PRUNE_INFEASIBLE` when even the highest
 *   measured levels cannot reach it, `PRUNE_BAD_INPUT` for an incomplete table.
 * @example
 * ```ts
 * const a = allocateSparsity(result, { kind: 'sparsity', value: 0.8 }, { metric: 'loss' });
 * const plan = computeMasks(model, scores, { scope: { kind: 'explicit', sparsities: a.sparsities } });
 * ```
 */
export function allocateSparsity(table: Rows, target: AllocationTarget, options: AllocateOptions = {}): Allocation {
  const metric = defaultMetric(rowsOf(table), options.metric);
  const curves = sensitivityCurves(table, metric, options.maxSparsity ?? 1);
  const units = unitsOf(curves, target, options.layerMacs);
  const need = required(target, units);
  const strategy = options.strategy ?? 'greedy';
  const { s, tau } = strategy === 'greedy' ? { s: greedy(curves, units, need, target), tau: undefined } : byThreshold(curves, units, need, target);
  return {
    sparsities: Object.fromEntries(curves.map((c, l) => [c.layer, s[l]!])),
    predictedDrop: curves.reduce((a, c, l) => a + dropAt(c, s[l]!), 0),
    metric,
    strategy,
    ...(tau !== undefined ? { threshold: tau } : {}),
    achieved: summarize(curves, s, options.layerMacs),
  };
}

/**
 * The threshold rule alone, without a target: every layer at the largest level whose drop, and every lower
 * level's, is at most `tau`.
 *
 * @example
 * ```ts
 * thresholdSparsities(result, 0.01, 'top1');   // { 'fc1/weight': 0.9, 'fc2/weight': 0.8, ... }
 * ```
 */
export function thresholdSparsities(table: Rows, tau: number, metric?: AllocationMetric, maxSparsity = 1): Record<string, number> {
  if (!Number.isFinite(tau)) throw new RangeError(`'tau' is ${tau}, out of range (−∞, ∞).`);
  const curves = sensitivityCurves(table, defaultMetric(rowsOf(table), metric), maxSparsity);
  return Object.fromEntries(curves.map((c) => [c.layer, levelWithin(c, tau)]));
}
