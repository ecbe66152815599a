/**
 * Plans from scores: `planByRatio` removes the lowest-scoring channels of every prunable group, keeping counts that
 * are multiples of the runtime's channel block (`roundKept`) — odd channel counts defeat onnxruntime's CPU channel
 * blocking, so a rounded plan runs faster than an exact one with fewer MACs.
 * @module
 */
import type { DependencyGraph, Group, StructuredPlan } from './types.js';

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
  /** Fraction of each group's channels to remove, in [0, 1). */
  readonly ratio: number;
  /**
   * Keep a multiple of this many positions on the source weights (8 or 16 suit onnxruntime's CPU kernels);
   * default 1. For attention heads of width 16, any head count already is a multiple of 8 or 16.
   */
  readonly roundTo?: number;
  /** Groups any of whose source layers (node names: the layers whose outputs would shrink) match are left whole. */
  readonly protect?: RegExp;
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
 * Removes `ratio` of the channels of every unblocked, unprotected group that has scores, lowest scores first (ties:
 * lower index first), keeping a rounded count. Groups that would lose nothing are left out of the plan.
 *
 * @throws RangeError for a ratio outside [0, 1) or a bad `roundTo`.
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
  const groups: { id: number; prune: number[] }[] = [];
  for (const g of dg.groups) {
    const s = scores.get(g.id);
    if (g.blocked || !s || isProtected(g, options.protect)) continue;
    const step = roundTo / gcd(roundTo, g.unit);
    const keep = Math.min(g.channels, roundKept(Math.round(g.channels * (1 - ratio)), step));
    if (keep >= g.channels) continue;
    const order = Array.from({ length: g.channels }, (_, i) => i).sort((a, b) => s[a]! - s[b]! || a - b);
    groups.push({ id: g.id, prune: order.slice(0, g.channels - keep).sort((a, b) => a - b) });
  }
  return { groups };
}
