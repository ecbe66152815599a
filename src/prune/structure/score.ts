/**
 * Group importance scores, one `Float32Array` per group aligned to its channels; higher is more important.
 *
 * | criterion | score of channel c | reads |
 * |---|---|---|
 * | l1 / l2 | Σ\|w\| / Σw² over each member's elements at c's positions (Torch-Pruning's group norm, p = 1 / 2) | weights |
 * | bn-scale | \|γ\| of the BatchNorm members (Liu et al. 2017); `fallback` without one | weights |
 * | random | seeded uniform | - |
 * | taylor | (1/B)·Σ_b (R_m a_{m,b,c})², a_{m,b,c} = Σ w·g_b over member m's elements at c (Molchanov et al. 2019) | gradients |
 * | fisher | ½·n_b·(1/B)·Σ_b (R_m a_{m,b,c})² over the sink members: the channel-mask Fisher (Kwon et al. 2022) | gradients |
 * | activation | mean \|a\| (or ‖a‖₂) of the channel where its consumers read it | activations |
 *
 * `R_m` is the reduction across members (sum, mean, or max: the member term of largest magnitude). Weight and
 * activation criteria score each member and reduce; Taylor and Fisher reduce the signed per-batch member terms
 * *before* squaring, so with `sum` the Taylor score is exactly the squared first-order loss change of removing every
 * weight of the channel, batch by batch. Fisher is Kwon et al.'s channel-mask Fisher with the empirical Fisher: a mask
 * m_c scaling channel c where every consumer reads it has ∂L/∂m_c = Σ over the sink columns of w·g, and
 * ½·mean_i (∂ℓ_i/∂m_c)² over samples i stands in for the second-order loss change ½·∂²L/∂m_c² of removing the channel
 * at a minimum. With n_b samples per batch, n_b·mean_b (∂L_b/∂m_c)² equals that per-sample mean plus
 * (n_b − 1)·(mean gradient)², a bias that vanishes at a minimum and exactly with `batchSize: 1`. The empirical Fisher
 * ranks channels like the Hessian but is far smaller than it on a confident model (the trained LeNet-5's conv2
 * channels, 48 samples: Spearman 0.81 with ½·∂²L/∂m_c², whose sum is ~6,600x larger), so read Fisher scores as a
 * ranking, not as loss units.
 * Running statistics never count. Normalization (per group, after reduction) makes groups comparable.
 * @module
 */
import { SecateursError } from '../../errors.js';
import { Rng } from '../../util/rng.js';
import { addByChannel } from './per-channel.js';
import type { ActivationStatistics, GradientStatistics, GroupStatistics } from './statistics.js';
import { constantTensor } from './tensors.js';
import type { DependencyGraph, Group, Member } from './types.js';

/** How channels are scored. */
export type GroupCriterion = 'l1' | 'l2' | 'bn-scale' | 'random' | 'taylor' | 'fisher' | 'activation';

/** Every group criterion, in the order the CLI lists them. */
export const GROUP_CRITERIA: readonly GroupCriterion[] = ['l1', 'l2', 'bn-scale', 'random', 'taylor', 'fisher', 'activation'];

/** How member scores combine into the group's. */
export type GroupReduction = 'sum' | 'mean' | 'max';

/**
 * Per-group rescaling of the reduced scores (Torch-Pruning's normalizers): `none`; divide by the group's `sum`,
 * `mean` or `max`; `standardize` to zero mean and unit standard deviation.
 */
export type GroupNormalization = 'none' | 'sum' | 'mean' | 'max' | 'standardize';

/** Options of {@link scoreGroups}. */
export interface ScoreOptions {
  /** Default 'l1'. */
  readonly criterion?: GroupCriterion;
  /** Default 'sum'. */
  readonly reduction?: GroupReduction;
  /** Default 'none'. */
  readonly normalize?: GroupNormalization;
  /** Seed of 'random'; default 0. */
  readonly seed?: number;
  /** Criterion for groups without a BatchNormalization scale under 'bn-scale'; default 'l1'. */
  readonly fallback?: Exclude<GroupCriterion, 'bn-scale' | 'taylor' | 'fisher' | 'activation'>;
  /** What 'activation' measures per channel: mean |a| (default) or the L2 norm ‖a‖₂ over every captured element. */
  readonly activationNorm?: 'mean-abs' | 'l2';
  /** Calibration statistics of 'taylor', 'fisher' and 'activation' (from `collectGroupStatistics`). */
  readonly statistics?: GroupStatistics;
}

/**
 * Scores every unblocked group's channels; higher means more important. Blocked groups get no entry, nor do groups
 * the statistics have nothing for (no trainable member, no consumer-read activation): planners leave those whole.
 *
 * @throws SecateursError `PRUNE_OPTIONS` for a data criterion without matching statistics.
 * @example
 * ```ts
 * const scores = scoreGroups(dg, { criterion: 'l2', reduction: 'mean' });
 * scores.get(0);   // Float32Array(16) for group 0
 * const taylor = scoreGroups(dg, { criterion: 'taylor', statistics: await collectGroupStatistics(model, dg, calib, { criterion: 'taylor' }) });
 * ```
 */
export function scoreGroups(dg: DependencyGraph, options: ScoreOptions = {}): Map<number, Float32Array> {
  checkStatistics(options);
  const out = new Map<number, Float32Array>();
  for (const g of dg.groups) {
    if (g.blocked) continue;
    const s = scoreGroup(dg, g, options);
    if (s) out.set(g.id, normalize(s, options.normalize ?? 'none'));
  }
  return out;
}

function checkStatistics(o: ScoreOptions): void {
  const criterion = o.criterion ?? 'l1';
  const need = criterion === 'taylor' ? 'all' : criterion === 'fisher' ? 'sinks' : criterion === 'activation' ? 'activations' : undefined;
  if (!need) return;
  const st = o.statistics;
  const have = st === undefined ? 'none' : st.kind === 'activations' ? 'activations' : st.members;
  if (have === need) return;
  const what = need === 'activations' ? 'activation statistics' : `gradient statistics of the '${need}' members`;
  throw new SecateursError('PRUNE_OPTIONS', `criterion '${criterion}' needs ${what} from collectGroupStatistics(model, dg, data, { criterion: '${criterion}' }); got ${have === 'none' ? 'none' : `'${have}' statistics`}.`);
}

function scoreGroup(dg: DependencyGraph, g: Group, o: ScoreOptions): Float32Array | undefined {
  const criterion = o.criterion ?? 'l1';
  const reduction = o.reduction ?? 'sum';
  switch (criterion) {
    case 'random': {
      const rng = new Rng(((o.seed ?? 0) * 1_000_003 + g.id * 7919) >>> 0);
      return Float32Array.from({ length: g.channels }, () => rng.next());
    }
    case 'bn-scale': {
      const scales = g.members.filter((m) => m.role === 'scale');
      if (scales.length === 0) return scoreGroup(dg, g, { ...o, criterion: o.fallback ?? 'l1' });
      return reduce(scales.map((m) => memberScores(dg, m, g.channels, 'abs', true)), reduction);
    }
    case 'l1': case 'l2': {
      const weights = g.members.filter((m) => m.kind === 'param' && m.role !== 'stat');
      return reduce(weights.map((m) => memberScores(dg, m, g.channels, criterion === 'l1' ? 'abs' : 'square', false)), reduction);
    }
    case 'taylor': case 'fisher': {
      const st = o.statistics as GradientStatistics;
      const sums = st.groups.get(g.id);
      return sums && squaredTerms(sums.map((s) => s.values), st, g.channels, reduction, criterion === 'fisher');
    }
    case 'activation': {
      const sums = (o.statistics as ActivationStatistics).groups.get(g.id);
      if (!sums) return undefined;
      const l2 = o.activationNorm === 'l2';
      return reduce(sums.map((s) => Float32Array.from(s.sumAbs, (a, c) => (l2 ? Math.sqrt(s.sumSq[c]!) : s.count[c]! > 0 ? a / s.count[c]! : 0))), reduction);
    }
  }
}

/** Σ |w| or Σ w² over each channel's elements of one member (mean per channel when `mean`). */
function memberScores(dg: DependencyGraph, m: Member, channels: number, how: 'abs' | 'square', mean: boolean): Float32Array {
  const v = dg.model.graph.value(m.tensor);
  const t = v ? constantTensor(v) : undefined;
  const out = new Float64Array(channels);
  if (!t) return new Float32Array(channels);
  const counts = new Float64Array(channels);
  addByChannel(t.dtype === 'float32' ? (t.view() as Float32Array) : t.toFloat32(), t.dims, m.axis, m.indexMap, how, out, counts);
  if (mean) for (let c = 0; c < channels; c++) if (counts[c]! > 0) out[c]! /= counts[c]!;
  return Float32Array.from(out);
}

/** (1/B)·Σ_b (R_m terms)², times ½·batchSize for Fisher. */
function squaredTerms(perMember: readonly Float64Array[], st: GradientStatistics, channels: number, how: GroupReduction, fisher: boolean): Float32Array {
  const out = new Float32Array(channels);
  const scale = (fisher ? 0.5 * st.batchSize : 1) / st.batches;
  for (let c = 0; c < channels; c++) {
    let acc = 0;
    for (let b = 0; b < st.batches; b++) {
      const t = reduceTerms(perMember, b * channels + c, how);
      acc += t * t;
    }
    out[c] = acc * scale;
  }
  return out;
}

function reduceTerms(perMember: readonly Float64Array[], at: number, how: GroupReduction): number {
  let sum = 0;
  let best = 0;
  for (const v of perMember) {
    const x = v[at]!;
    sum += x;
    if (Math.abs(x) > Math.abs(best)) best = x;
  }
  return how === 'max' ? best : how === 'mean' ? sum / Math.max(1, perMember.length) : sum;
}

function reduce(parts: readonly Float32Array[], how: GroupReduction): Float32Array {
  const n = parts[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    let acc = how === 'max' ? -Infinity : 0;
    for (const s of parts) acc = how === 'max' ? Math.max(acc, s[c]!) : acc + s[c]!;
    out[c] = how === 'mean' ? acc / parts.length : acc;
  }
  return out;
}

function normalize(s: Float32Array, how: GroupNormalization): Float32Array {
  if (how === 'none' || s.length === 0) return s;
  let [sum, max] = [0, -Infinity];
  for (const x of s) { sum += x; max = Math.max(max, x); }
  const mean = sum / s.length;
  switch (how) {
    case 'sum': return divide(s, sum);
    case 'mean': return divide(s, mean);
    case 'max': return divide(s, max);
    case 'standardize': {
      let v = 0;
      for (const x of s) v += (x - mean) * (x - mean);
      const sd = Math.sqrt(v / s.length);
      return s.map((x) => (sd > 0 ? (x - mean) / sd : 0));
    }
  }
}

function divide(s: Float32Array, by: number): Float32Array {
  return by !== 0 && Number.isFinite(by) ? s.map((x) => x / by) : s;
}
