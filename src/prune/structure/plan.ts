/**
 * Plans from scores: `planByRatio` removes the lowest-scoring channels of every prunable group, keeping counts that
 * are multiples of the runtime's channel block (`roundKept`) — odd channel counts defeat onnxruntime's CPU channel
 * blocking, so a rounded plan runs faster than an exact one with fewer MACs. `planToTarget` bisects that ratio until
 * a cost of the plan (MACs, predicted latency) reaches a target.
 * @module
 */
import type { DependencyGraph, Group, StructuredPlan } from './types.js';

/**
 * What a group's channels are: `channels` of a convolution, `neurons` of a fully-connected or recurrent layer, or
 * attention `heads` (units wider than one position on the source weights).
 */
export type GroupKind = 'channels' | 'neurons' | 'heads';

/** Every group kind, in the order the CLI lists them. */
export const GROUP_KINDS: readonly GroupKind[] = ['channels', 'neurons', 'heads'];

const CONV_OPS = new Set(['Conv', 'ConvTranspose']);

/**
 * The kind of a group: `heads` when a channel spans several source positions, `channels` when a source is a
 * convolution, `neurons` otherwise (Gemm, MatMul, LSTM/GRU/RNN hidden units).
 *
 * @example
 * ```ts
 * groupKind(dg, dg.groups[0]!);   // 'channels' for a conv stem
 * ```
 */
export function groupKind(dg: DependencyGraph, g: Group): GroupKind {
  return kindOf(g, new Map(dg.model.graph.nodes.map((n) => [n.name, n.opType])));
}

function kindOf(g: Group, opTypes: ReadonlyMap<string, string>): GroupKind {
  if (g.unit > 1) return 'heads';
  return g.sources.some((s) => CONV_OPS.has(opTypes.get(s) ?? '')) ? 'channels' : 'neurons';
}

/**
 * The number of channels to keep: `n` rounded up to a multiple of `multiple` (at least one multiple). Rounding up
 * never prunes more than asked.
 *
 * @example
 * ```ts
 * roundKept(13, 8);   // 16
 * roundKept(0, 8);    // 8
 * roundKept(5, 1);    // 5
 * ```
 */
export function roundKept(n: number, multiple: number): number {
  if (!Number.isInteger(multiple) || multiple < 1) throw new RangeError(`'multiple' must be an integer >= 1, got ${multiple}.`);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`'n' must be a number >= 0, got ${n}.`);
  return Math.max(multiple, Math.ceil(n / multiple) * multiple);
}

/** Options of {@link planByRatio}. */
export interface RatioOptions {
  /**
   * Fraction of the channels to remove, in [0, 1): of each group's (`scope` `layer`), or of all prunable groups'
   * channels together (`global`).
   */
  readonly ratio: number;
  /**
   * `layer` (default): every group loses `ratio` of its channels. `global`: one ranking of every channel of every
   * prunable group by score, the lowest `ratio` of them removed wherever they are, so groups end at different ratios.
   * Raw scores of different groups are rarely on one scale: pair `global` with a per-group normalization
   * (`scoreGroups`' `normalize`, e.g. `mean`), as Torch-Pruning does.
   */
  readonly scope?: 'layer' | 'global';
  /**
   * Keep a multiple of this many positions on the source weights (8 or 16 suit onnxruntime's CPU kernels);
   * default 1. For attention heads of width 16, any head count already is a multiple of 8 or 16.
   */
  readonly roundTo?: number;
  /** Groups any of whose source layers (node names: the layers whose outputs would shrink) match are left whole. */
  readonly protect?: RegExp;
  /** Only groups of these kinds are pruned; default all. */
  readonly kinds?: readonly GroupKind[];
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function isProtected(g: Group, re: RegExp | undefined): boolean {
  if (!re) return false;
  const test = (s: string): boolean => { re.lastIndex = 0; return re.test(s); };
  return g.sources.some(test);
}

/**
 * Removes `ratio` of the channels of every unblocked, unprotected group that has scores (`scope` `layer`), or the
 * lowest-scoring `ratio` of all their channels ranked together (`global`; ties: lower group, then lower channel,
 * first), lowest scores first within a group (ties: lower index first), keeping a rounded count (at least one rounded
 * block per group). Groups that would lose nothing are left out of the plan.
 *
 * @throws RangeError for a ratio outside [0, 1), a bad `roundTo` or `scope`.
 * @example
 * ```ts
 * const plan = planByRatio(dg, scoreGroups(dg), { ratio: 0.5, roundTo: 8, protect: /^stem\// });
 * plan.groups[0];   // { id: 0, prune: [1, 4, 5, ...] }
 * ```
 */
export function planByRatio(dg: DependencyGraph, scores: ReadonlyMap<number, Float32Array>, options: RatioOptions): StructuredPlan {
  const { ratio } = options;
  if (!(ratio >= 0 && ratio < 1)) throw new RangeError(`'ratio' must be in [0, 1), got ${ratio}.`);
  const roundTo = options.roundTo ?? 1;
  if (!Number.isInteger(roundTo) || roundTo < 1) throw new RangeError(`'roundTo' must be an integer >= 1, got ${roundTo}.`);
  const scope = options.scope ?? 'layer';
  if (scope !== 'layer' && scope !== 'global') throw new RangeError(`'scope' must be layer or global, got '${String(scope)}'.`);
  const kinds = options.kinds && new Set(options.kinds);
  const opTypes = kinds && new Map(dg.model.graph.nodes.map((n) => [n.name, n.opType]));
  const eligible: { g: Group; s: Float32Array }[] = [];
  for (const g of dg.groups) {
    const s = scores.get(g.id);
    if (g.blocked || !s || isProtected(g, options.protect) || (kinds && !kinds.has(kindOf(g, opTypes!)))) continue;
    eligible.push({ g, s });
  }
  // How many channels each group would keep before rounding: 1 − ratio of its own, or what one global ranking leaves.
  const removals = scope === 'global' ? globalRemovals(eligible, ratio) : undefined;
  const wanted = eligible.map(({ g }, i) => (removals ? g.channels - removals[i]! : g.channels * (1 - ratio)));
  const groups: { id: number; prune: number[] }[] = [];
  eligible.forEach(({ g, s }, i) => {
    const step = roundTo / gcd(roundTo, g.unit);
    const keep = Math.min(g.channels, roundKept(Math.round(wanted[i]!), step));
    if (keep >= g.channels) return;
    const order = Array.from({ length: g.channels }, (_, c) => c).sort((a, b) => s[a]! - s[b]! || a - b);
    groups.push({ id: g.id, prune: order.slice(0, g.channels - keep).sort((a, b) => a - b) });
  });
  return { groups };
}

/** Per eligible group, how many of its channels fall in the lowest `ratio` of all their channels ranked together. */
function globalRemovals(eligible: readonly { g: Group; s: Float32Array }[], ratio: number): number[] {
  const all: { score: number; at: number; channel: number }[] = [];
  eligible.forEach(({ g, s }, at) => { for (let c = 0; c < g.channels; c++) all.push({ score: s[c]!, at, channel: c }); });
  all.sort((a, b) => a.score - b.score || a.at - b.at || a.channel - b.channel);
  const counts = eligible.map(() => 0);
  const n = Math.floor(ratio * all.length);
  for (let i = 0; i < n; i++) counts[all[i]!.at]!++;
  return counts;
}

/** Options of {@link planToTarget}: those of {@link planByRatio} except the ratio, which is searched. */
export interface TargetOptions extends Omit<RatioOptions, 'ratio'> {
  /** What a plan costs (MACs left, predicted milliseconds, ...); must not grow as more channels go. */
  readonly cost: (plan: StructuredPlan) => number;
  /** The cost to reach, in the cost's unit (e.g. `0.5 * denseMacs`). */
  readonly target: number;
  /** Bisection steps; default 24 (the ratio to within 1e-7, finer than one channel of any group). */
  readonly steps?: number;
}

/** What {@link planToTarget} found. */
export interface TargetPlan {
  readonly plan: StructuredPlan;
  /** The channel ratio of the plan. */
  readonly ratio: number;
  /** The plan's cost; at most the target when `reached`. */
  readonly cost: number;
  /** The cost of pruning nothing. */
  readonly denseCost: number;
  /** False when even the largest ratio (every prunable group down to one rounded block) stays above the target. */
  readonly reached: boolean;
}

/** The largest ratio searched: every group keeps its smallest rounded count. */
const MAX_RATIO = 0.999;

/**
 * The smallest channel ratio whose {@link planByRatio} plan costs at most `target`, by bisection on the ratio. Kept
 * counts change in steps, so the result is the first step at or below the target; with an unreachable target the
 * most pruned plan comes back with `reached: false` for the caller to report.
 *
 * @throws RangeError for a target that is not a finite number >= 0, or bad `steps` / ratio options.
 * @example
 * ```ts
 * const macs = planMacs(dg);
 * const r = planToTarget(dg, scores, { cost: (p) => macs.of(p), target: 0.5 * macs.dense, roundTo: 8 });
 * r.cost / r.denseCost;   // <= 0.5 when r.reached
 * ```
 */
export function planToTarget(dg: DependencyGraph, scores: ReadonlyMap<number, Float32Array>, options: TargetOptions): TargetPlan {
  const { cost, target, steps = 24, ...rest } = options;
  if (!(Number.isFinite(target) && target >= 0)) throw new RangeError(`'target' must be a finite number >= 0, got ${target}.`);
  if (!Number.isInteger(steps) || steps < 1 || steps > 60) throw new RangeError(`'steps' must be an integer in [1, 60], got ${steps}.`);
  const at = (ratio: number): { plan: StructuredPlan; cost: number } => {
    const plan = planByRatio(dg, scores, { ...rest, ratio });
    return { plan, cost: cost(plan) };
  };
  const dense = at(0);
  if (dense.cost <= target) return { ...dense, ratio: 0, denseCost: dense.cost, reached: true };
  let best = at(MAX_RATIO);
  if (best.cost > target) return { ...best, ratio: MAX_RATIO, denseCost: dense.cost, reached: false };
  let [lo, hi] = [0, MAX_RATIO];
  for (let i = 0; i < steps; i++) {
    const mid = (lo + hi) / 2;
    const r = at(mid);
    if (r.cost > target) lo = mid;
    else [hi, best] = [mid, r];
  }
  return { ...best, ratio: hi, denseCost: dense.cost, reached: true };
}
