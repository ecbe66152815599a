/**
 * How many weights each layer loses under a scope, with exact-count semantics: a layer of n weights at sparsity s
 * loses round(s·n). Min/max limits clamp each layer; a global ranking respects them by water-filling (below).
 */
import { SecateursError } from '../../errors.js';
import { matchesSelector } from '../selectors.js';
import type { PruneTarget } from '../targets.js';
import type { GlobalNormalization, PruneScope, SparsityLimit } from './types.js';

/** A layer's sparsity bounds, as fractions. */
export interface Bounds {
  readonly min: number;
  readonly max: number;
}

/**
 * The tightest bounds every limit puts on each target (min: largest; max: smallest).
 *
 * @example
 * ```ts
 * layerBounds(targets, [{ layers: [/fc3/], max: 0.5 }]).get('fc3/weight');   // { min: 0, max: 0.5 }
 * ```
 */
export function layerBounds(targets: readonly PruneTarget[], limits: readonly SparsityLimit[] = []): Map<string, Bounds> {
  const out = new Map<string, Bounds>();
  for (const t of targets) {
    let min = 0;
    let max = 1;
    for (const l of limits) {
      if (l.layers && !l.layers.some((s) => matchesSelector(s, t))) continue;
      min = Math.max(min, l.min ?? 0);
      max = Math.min(max, l.max ?? 1);
    }
    out.set(t.name, { min, max });
  }
  return out;
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * Pruned-element counts per target for a layer-wise or explicit scope: round(clamp(s, min, max)·n).
 */
export function fixedCounts(targets: readonly PruneTarget[], scope: Exclude<PruneScope, { kind: 'global' }>, bounds: ReadonlyMap<string, Bounds>): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of targets) {
    const b = bounds.get(t.name) ?? { min: 0, max: 1 };
    const s = scope.kind === 'layer' ? scope.sparsity : scope.sparsities[t.name] ?? 0;
    out.set(t.name, Math.round(clamp(s, b.min, b.max) * t.size));
  }
  return out;
}

function sumOf(s: Float32Array, f: (v: number) => number): number {
  let acc = 0;
  for (let i = 0; i < s.length; i++) acc += f(s[i]!);
  return acc;
}

/** Per-layer divisors of a global ranking, by normalization. */
const NORMALIZERS: Readonly<Record<GlobalNormalization, (s: Float32Array) => number>> = {
  none: () => 1,
  l2: (s) => Math.sqrt(sumOf(s, (v) => v * v)),
  mean: (s) => sumOf(s, (v) => v) / s.length,
  max: (s) => s.reduce((a, v) => Math.max(a, v), 0),
};

/**
 * The factor a layer's scores are divided by before a global ranking (1 when that norm is 0 or not finite).
 *
 * @example
 * ```ts
 * normalizer(new Float32Array([3, 4]), 'l2');   // 5
 * ```
 */
export function normalizer(scores: Float32Array, how: GlobalNormalization): number {
  const f = NORMALIZERS[how](scores);
  return f > 0 && Number.isFinite(f) ? f : 1;
}

interface Layer { readonly name: string; readonly sorted: Float32Array; readonly lo: number; readonly hi: number }

/** Count of sorted values < t (`strict`) or ≤ t. */
function countBelow(sorted: Float32Array, t: number, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (strict ? sorted[mid]! < t : sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Pruned counts of one global ranking of the (normalized) scores, exactly round(sparsity·Σn) in total, each layer
 * kept within [round(min·n), round(max·n)]. Water-filling: the smallest threshold t whose clamped count
 * Σ clip(#{score ≤ t}) reaches the total is found by bisection over the sorted scores; layers prune everything
 * below t (clamped), and the remainder is taken from scores equal to t, layer by layer in target order.
 *
 * @throws SecateursError `PRUNE_INFEASIBLE` when the limits cannot meet the total (the message gives the reachable range).
 */
export function globalCounts(
  targets: readonly PruneTarget[], scores: ReadonlyMap<string, Float32Array>, sparsity: number,
  bounds: ReadonlyMap<string, Bounds>, normalize: GlobalNormalization = 'none',
): Map<string, number> {
  const layers: Layer[] = targets.map((t) => {
    const s = scores.get(t.name)!;
    const f = normalizer(s, normalize);
    const b = bounds.get(t.name) ?? { min: 0, max: 1 };
    return { name: t.name, sorted: s.map((v) => v / f).sort(), lo: Math.round(b.min * t.size), hi: Math.round(b.max * t.size) };
  });
  const total = layers.reduce((a, l) => a + l.sorted.length, 0);
  const k = Math.round(sparsity * total);
  const [minK, maxK] = [layers.reduce((a, l) => a + l.lo, 0), layers.reduce((a, l) => a + l.hi, 0)];
  if (k < minK || k > maxK) {
    throw new SecateursError('PRUNE_INFEASIBLE', `global sparsity ${sparsity} prunes ${k} of ${total} weights, but the per-layer limits allow only ${minK}..${maxK} (sparsity ${(minK / total).toFixed(4)}..${(maxK / total).toFixed(4)}).`);
  }
  if (k === minK) return new Map(layers.map((l) => [l.name, l.lo]));
  const all = new Float32Array(total);
  let off = 0;
  for (const l of layers) { all.set(l.sorted, off); off += l.sorted.length; }
  all.sort();
  const counted = (t: number, strict: boolean): number => layers.reduce((a, l) => a + clamp(countBelow(l.sorted, t, strict), l.lo, l.hi), 0);
  let lo = 0;
  let hi = total - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (counted(all[mid]!, false) >= k) hi = mid;
    else lo = mid + 1;
  }
  const t = all[lo]!;
  const counts = new Map<string, number>();
  let rest = k - counted(t, true);
  for (const l of layers) {
    const base = clamp(countBelow(l.sorted, t, true), l.lo, l.hi);
    const take = Math.min(rest, clamp(countBelow(l.sorted, t, false), l.lo, l.hi) - base);
    counts.set(l.name, base + take);
    rest -= take;
  }
  return counts;
}
