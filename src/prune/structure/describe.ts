/**
 * `describeGroups`: one plain row per group for a CLI table (`secateurs groups MODEL`) or JSON.
 * @module
 */
import type { DependencyGraph } from './types.js';

/** One row of the groups table. */
export interface GroupRow {
  readonly id: number;
  readonly name: string;
  readonly channels: number;
  /** Positions per channel on the source weights (16 for 16-wide heads). */
  readonly unit: number;
  readonly sources: readonly string[];
  readonly sinks: readonly string[];
  /** Member tensors, e.g. 'conv1.weight[0]' (tensor[axis]). */
  readonly members: readonly string[];
  readonly params: number;
  readonly macs: number;
  /** Share of the model's MACs at stake in this group (0..1; a layer between two groups counts in both). */
  readonly macShare: number;
  readonly status: 'prunable' | 'blocked';
  /** Where and why, for a blocked group: "node 'ln1' (LayerNormalization): ...". */
  readonly reason?: string;
}

/**
 * Rows describing every group, in id order.
 *
 * @example
 * ```ts
 * for (const r of describeGroups(buildDependencyGraph(model))) {
 *   console.log(r.id, r.name, r.channels, r.macs, r.status, r.reason ?? '');
 * }
 * ```
 */
export function describeGroups(dg: DependencyGraph): GroupRow[] {
  const total = dg.macs;
  return dg.groups.map((g) => ({
    id: g.id,
    name: g.name,
    channels: g.channels,
    unit: g.unit,
    sources: g.sources,
    sinks: g.sinks,
    members: g.members.map((m) => `${m.tensor}[${m.axis}]`),
    params: g.params,
    macs: g.macs,
    macShare: total > 0 ? g.macs / total : 0,
    status: g.blocked ? 'blocked' : 'prunable',
    ...(g.blocked ? { reason: `node '${g.blocked.node}' (${g.blocked.opType}): ${g.blocked.reason}` } : {}),
  }));
}
