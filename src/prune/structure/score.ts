/**
 * Group importance scores, one `Float32Array` per group aligned to its channels: magnitude of all member weights at
 * each channel's positions (L1, or squared L2 as Torch-Pruning's p=2), BatchNorm |γ|, or seeded random; per-member
 * scores reduced across members by sum, mean or max. Running statistics never count.
 * @module
 */
import { Rng } from '../../util/rng.js';
import { constantTensor } from './tensors.js';
import type { DependencyGraph, Group, Member } from './types.js';

/** How channels are scored. */
export type GroupCriterion = 'l1' | 'l2' | 'bn-scale' | 'random';

/** How member scores combine into the group's. */
export type GroupReduction = 'sum' | 'mean' | 'max';

/** Options of {@link scoreGroups}. */
export interface ScoreOptions {
  /** Default 'l1'. */
  readonly criterion?: GroupCriterion;
  /** Default 'sum'. */
  readonly reduction?: GroupReduction;
  /** Seed of 'random'; default 0. */
  readonly seed?: number;
  /** Criterion for groups without a BatchNormalization scale under 'bn-scale'; default 'l1'. */
  readonly fallback?: Exclude<GroupCriterion, 'bn-scale'>;
}

/**
 * Scores every unblocked group's channels; higher means more important. Blocked groups get no entry.
 *
 * @example
 * ```ts
 * const scores = scoreGroups(dg, { criterion: 'l2', reduction: 'mean' });
 * scores.get(0);   // Float32Array(16) for group 0
 * ```
 */
export function scoreGroups(dg: DependencyGraph, options: ScoreOptions = {}): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>();
  for (const g of dg.groups) if (!g.blocked) out.set(g.id, scoreGroup(dg, g, options));
  return out;
}

function scoreGroup(dg: DependencyGraph, g: Group, o: ScoreOptions): Float32Array {
  const criterion = o.criterion ?? 'l1';
  switch (criterion) {
    case 'random': {
      const rng = new Rng(((o.seed ?? 0) * 1_000_003 + g.id * 7919) >>> 0);
      return Float32Array.from({ length: g.channels }, () => rng.next());
    }
    case 'bn-scale': {
      const scales = g.members.filter((m) => m.role === 'scale');
      if (scales.length === 0) return scoreGroup(dg, g, { ...o, criterion: o.fallback ?? 'l1' });
      return reduce(scales.map((m) => memberScores(dg, m, g.channels, 1, true)), o.reduction ?? 'sum');
    }
    case 'l1': case 'l2': {
      const weights = g.members.filter((m) => m.kind === 'param' && m.role !== 'stat');
      return reduce(weights.map((m) => memberScores(dg, m, g.channels, criterion === 'l1' ? 1 : 2, false)), o.reduction ?? 'sum');
    }
  }
}

/** Σ |w|^p over each channel's elements of one member (mean |w| per channel when `mean`). */
function memberScores(dg: DependencyGraph, m: Member, channels: number, p: 1 | 2, mean: boolean): Float32Array {
  const v = dg.model.graph.value(m.tensor);
  const t = v ? constantTensor(v) : undefined;
  const out = new Float32Array(channels);
  if (!t) return out;
  const data = t.toFloat32();
  const len = t.dims[m.axis]!;
  const inner = t.dims.slice(m.axis + 1).reduce((a, b) => a * b, 1);
  const owner = new Int32Array(m.indexMap.period).fill(-1);
  m.indexMap.positions.forEach((list, c) => list.forEach((q) => { owner[q] = c; }));
  const counts = new Float32Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = owner[(Math.floor(i / inner) % len) % m.indexMap.period]!;
    if (c < 0) continue;
    const x = Math.abs(data[i]!);
    out[c]! += p === 1 ? x : x * x;
    counts[c]!++;
  }
  if (mean) for (let c = 0; c < channels; c++) if (counts[c]! > 0) out[c]! /= counts[c]!;
  return out;
}

function reduce(parts: readonly Float32Array[], how: GroupReduction): Float32Array {
  const n = parts[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    const xs = parts.map((s) => s[c]!);
    out[c] = how === 'max' ? Math.max(...xs) : xs.reduce((a, b) => a + b, 0) / (how === 'mean' ? xs.length : 1);
  }
  return out;
}
