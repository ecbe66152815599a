/**
 * Calibration statistics of the data-aware group criteria, gathered per member and channel so that `scoreGroups`
 * stays a pure function of plain data:
 *
 * - gradients (Taylor, Fisher): for every calibration batch b, every param member m and group channel c,
 *   `Σ_{positions of c in m} w·g_b`, where g_b is the gradient of batch b's mean cross-entropy (onnxruntime runs the
 *   generated gradient graph with the dataset's labels; BatchNormalization uses batch statistics, as in training).
 *   Taylor sums over every param member, Fisher over the sink members only (the channel as its consumers read it).
 * - activations: for every sink-input activation member (what the consumers of the group read) and channel, Σ|a|,
 *   Σa² and the element count over the calibration samples.
 *
 * Per-batch sums are what the group Taylor score needs: (Σ_s w_s·g_s)² has cross terms between a channel's weights
 * that per-element statistics lose, so each batch gets its own gradient run.
 * @module
 */
import { subset, type Dataset } from '../../data/index.js';
import { SecateursError } from '../../errors.js';
import type { Model } from '../../ir/graph.js';
import { captureActivations } from '../../runtime/index.js';
import { createGradientSource, trainableParams } from '../../train/index.js';
import { addByChannel } from './per-channel.js';
import type { DependencyGraph, Group, Member, MemberRole } from './types.js';

/** One member's per-channel sums. */
export interface MemberSums {
  readonly tensor: string;
  readonly axis: number;
  readonly role?: MemberRole;
  /** Gradients: `batches × channels` values, row-major (batch b, channel c at `b·channels + c`). */
  readonly values: Float64Array;
}

/** Per-batch gradient contributions of the members of every unblocked group. */
export interface GradientStatistics {
  readonly kind: 'gradients';
  /** `all` param members except running statistics (Taylor), or the `sinks` only (Fisher). */
  readonly members: 'all' | 'sinks';
  readonly batches: number;
  readonly batchSize: number;
  /** By group id; members without a trainable float32 tensor are absent. */
  readonly groups: ReadonlyMap<number, readonly MemberSums[]>;
}

/** One activation member's per-channel sums over the calibration samples. */
export interface ActivationSums {
  readonly tensor: string;
  readonly axis: number;
  readonly sumAbs: Float64Array;
  readonly sumSq: Float64Array;
  /** Elements summed per channel (samples × the channel's positions). */
  readonly count: Float64Array;
}

/** Activation sums of the sink-input members of every unblocked group. */
export interface ActivationStatistics {
  readonly kind: 'activations';
  readonly samples: number;
  readonly groups: ReadonlyMap<number, readonly ActivationSums[]>;
}

/** What the data-aware criteria read. */
export type GroupStatistics = GradientStatistics | ActivationStatistics;

/** The criteria that need calibration data. */
export type DataCriterion = 'taylor' | 'fisher' | 'activation';

/** Options of {@link collectGroupStatistics}. */
export interface StatisticsOptions {
  readonly criterion: DataCriterion;
  /** Gradient batches; default 8. Fewer when the dataset holds fewer full batches. */
  readonly batches?: number;
  /** Samples per gradient batch; default 32. Fisher is the exact per-sample Fisher with 1 (see `scoreGroups`). */
  readonly batchSize?: number;
  /** Samples whose activations are summed; default 512 (or the dataset's size). */
  readonly samples?: number;
  /** onnxruntime intra-op threads; default 1. */
  readonly threads?: number;
  /** Called with a line per stage. */
  readonly log?: (line: string) => void;
}

/**
 * Runs the calibration data through `model` and returns what the criterion needs. `dg` must be the dependency graph
 * of `model`.
 *
 * @throws RangeError for bad counts; SecateursError `PRUNE_DATA` when the dataset holds no full batch or the model has
 *   no group with a usable member; the runtime's and autodiff's errors (an op without a gradient rule is named).
 * @example
 * ```ts
 * const stats = await collectGroupStatistics(model, dg, take(trainSet, 512), { criterion: 'taylor' });
 * const scores = scoreGroups(dg, { criterion: 'taylor', statistics: stats });
 * ```
 */
export async function collectGroupStatistics(model: Model, dg: DependencyGraph, dataset: Dataset, options: StatisticsOptions): Promise<GroupStatistics> {
  switch (options.criterion) {
    case 'taylor': return gradientStatistics(model, dg, dataset, 'all', options);
    case 'fisher': return gradientStatistics(model, dg, dataset, 'sinks', options);
    case 'activation': return activationStatistics(model, dg, dataset, options);
  }
}

function count(name: string, v: number, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`'${name}' must be an integer >= ${min}, got ${v}.`);
  return v;
}

async function gradientStatistics(model: Model, dg: DependencyGraph, ds: Dataset, which: 'all' | 'sinks', o: StatisticsOptions): Promise<GradientStatistics> {
  const batchSize = count('batchSize', o.batchSize ?? 32, 1);
  const batches = Math.min(count('batches', o.batches ?? 8, 1), Math.floor(ds.count / batchSize));
  if (batches < 1) throw new SecateursError('PRUNE_DATA', `the '${o.criterion}' criterion needs at least one batch of ${batchSize} samples; the calibration data holds ${ds.count}.`);
  const trainable = new Set(trainableParams(model).map((p) => p.name));
  const picked = new Map<number, Member[]>();
  for (const g of dg.groups) {
    if (g.blocked) continue;
    const members = gradientMembers(g, which).filter((m) => trainable.has(m.tensor));
    if (members.length > 0) picked.set(g.id, members);
  }
  const names = [...new Set([...picked.values()].flat().map((m) => m.tensor))];
  if (names.length === 0) throw new SecateursError('PRUNE_DATA', `no prunable group of graph '${model.graph.name}' has a trainable float32 member to take gradients of.`);
  const out = new Map<number, MemberSums[]>();
  for (const [id, members] of picked) {
    const channels = dg.groups[id]!.channels;
    out.set(id, members.map((m) => ({ tensor: m.tensor, axis: m.axis, ...(m.role ? { role: m.role } : {}), values: new Float64Array(batches * channels) })));
  }
  const dims = new Map(names.map((n) => [n, dg.model.graph.requireValue(n).constant!.dims]));
  for (let b = 0; b < batches; b++) {
    o.log?.(`${o.criterion}: gradients of batch ${b + 1}/${batches} (${batchSize} samples)`);
    const batch = subset(ds, Array.from({ length: batchSize }, (_, i) => b * batchSize + i));
    const source = createGradientSource(model, batch, { batchSize, threads: o.threads ?? 1 });
    const stats = await source.accumulate(names, 1);
    for (const [id, sums] of out) {
      const g = dg.groups[id]!;
      const members = picked.get(id)!;
      sums.forEach((s, k) => {
        const m = members[k]!;
        const part = new Float64Array(g.channels);
        addByChannel(stats.get(m.tensor)!.sumWG, dims.get(m.tensor)!, m.axis, m.indexMap, 'value', part);
        s.values.set(part, b * g.channels);
      });
    }
  }
  return { kind: 'gradients', members: which, batches, batchSize, groups: out };
}

/** Taylor: every param member except running statistics. Fisher: the sinks (a mask on the channel as consumers read it). */
function gradientMembers(g: Group, which: 'all' | 'sinks'): Member[] {
  const params = g.members.filter((m) => m.kind === 'param' && m.role !== 'stat');
  if (which === 'all') return params;
  const sinks = params.filter((m) => m.role === 'sink');
  return sinks.length > 0 ? sinks : params;
}

async function activationStatistics(model: Model, dg: DependencyGraph, ds: Dataset, o: StatisticsOptions): Promise<ActivationStatistics> {
  const samples = Math.min(count('samples', o.samples ?? 512, 1), ds.count);
  const picked = new Map<number, Member[]>();
  for (const g of dg.groups) {
    if (g.blocked) continue;
    const members = sinkInputs(dg, g);
    if (members.length > 0) picked.set(g.id, members);
  }
  const out = new Map<number, ActivationSums[]>();
  const byValue = new Map<string, { sums: ActivationSums; member: Member }[]>();
  for (const [id, members] of picked) {
    const channels = dg.groups[id]!.channels;
    const sums = members.map((m) => ({
      tensor: m.tensor, axis: m.axis, sumAbs: new Float64Array(channels), sumSq: new Float64Array(channels), count: new Float64Array(channels),
    }));
    out.set(id, sums);
    members.forEach((m, k) => byValue.set(m.tensor, [...(byValue.get(m.tensor) ?? []), { sums: sums[k]!, member: m }]));
  }
  if (byValue.size === 0) throw new SecateursError('PRUNE_DATA', `no prunable group of graph '${model.graph.name}' has an activation read by its consumers.`);
  o.log?.(`activation: capturing ${byValue.size} tensor(s) on ${samples} samples`);
  await captureActivations(model, ds, [...byValue.keys()], {
    limit: samples, batchSize: 64, session: { threads: o.threads ?? 1 },
    onBatch: (name, data, dims) => {
      for (const { sums, member } of byValue.get(name) ?? []) {
        addByChannel(data, dims, member.axis, member.indexMap, 'abs', sums.sumAbs, sums.count);
        addByChannel(data, dims, member.axis, member.indexMap, 'square', sums.sumSq);
      }
    },
  });
  return { kind: 'activations', samples, groups: out };
}

/** Activation members of `g` that a sink node reads: the channel as its consumers see it. */
function sinkInputs(dg: DependencyGraph, g: Group): Member[] {
  const sinks = new Set(g.sinks);
  return g.members.filter((m) => m.kind === 'activation' && (dg.model.graph.value(m.tensor)?.uses ?? []).some((u) => sinks.has(u.node.name)));
}
