/**
 * The removal table of a plan: for every (tensor, axis) some pruned group touches, the positions removed within one
 * period of the axis. Every group of the plan contributes; apply and the rewrites read only this table.
 * @module
 */
import { throwAll } from '../../errors.js';
import type { Dim } from '../../ir/graph.js';
import { divDims, mulDims } from '../../ir/shapes/index.js';
import type { DependencyGraph, StructuredPlan } from './types.js';

/** Positions removed from one axis of one tensor. */
export interface Removal {
  readonly period: number;
  readonly removed: Set<number>;
}

/** Removals by tensor name, then axis. */
export type RemovalTable = Map<string, Map<number, Removal>>;

/**
 * Checks a plan against a dependency graph; collects every problem and throws them together.
 *
 * @throws SecateursError `PRUNE_PLAN` naming each bad entry (unknown or blocked group, index out of range, duplicate,
 *   every channel removed).
 */
export function checkPlan(dg: DependencyGraph, plan: StructuredPlan): void {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const e of plan.groups) {
    const g = dg.groups[e.id];
    if (!g || !Number.isInteger(e.id)) { problems.push(`group ${e.id} does not exist (the graph has ${dg.groups.length} groups)`); continue; }
    if (seen.has(e.id)) problems.push(`group ${e.id} is listed twice`);
    seen.add(e.id);
    if (g.blocked && e.prune.length > 0) problems.push(`group ${e.id} ('${g.name}') is blocked at '${g.blocked.node}' (${g.blocked.opType}): ${g.blocked.reason}`);
    const bad = e.prune.filter((c) => !Number.isInteger(c) || c < 0 || c >= g.channels);
    if (bad.length > 0) problems.push(`group ${e.id}: channel indices ${bad.join(', ')} are outside [0, ${g.channels})`);
    if (new Set(e.prune).size !== e.prune.length) problems.push(`group ${e.id}: duplicate channel indices`);
    if (new Set(e.prune).size >= g.channels) problems.push(`group ${e.id}: removes all ${g.channels} channels (keep at least one)`);
  }
  throwAll('PRUNE_PLAN', 'structured plan', problems);
}

/**
 * The positions a plan removes, by tensor and axis.
 *
 * @example
 * ```ts
 * removalTable(dg, { groups: [{ id: 0, prune: [3] }] }).get('fc1.weight')?.get(0)?.removed;   // Set { 3 }
 * ```
 */
export function removalTable(dg: DependencyGraph, plan: StructuredPlan): RemovalTable {
  const table: RemovalTable = new Map();
  for (const e of plan.groups) {
    const g = dg.groups[e.id]!;
    for (const m of g.members) {
      const byAxis = table.get(m.tensor) ?? new Map<number, Removal>();
      table.set(m.tensor, byAxis);
      const r = byAxis.get(m.axis) ?? { period: m.indexMap.period, removed: new Set<number>() };
      byAxis.set(m.axis, r);
      for (const c of e.prune) for (const p of m.indexMap.positions[c] ?? []) r.removed.add(p);
    }
  }
  for (const [name, byAxis] of table) {
    for (const [axis, r] of byAxis) if (r.removed.size === 0) byAxis.delete(axis);
    if (byAxis.size === 0) table.delete(name);
  }
  return table;
}

/**
 * The new size of an axis of `length` after a removal (symbolic lengths stay symbolic: 4*N with one of 4 removed
 * per period of 4 is 3*N).
 *
 * @example
 * ```ts
 * newLength('4*N', { period: 4, removed: new Set([1]) });   // '3*N'
 * ```
 */
export function newLength(length: Dim, r: Removal): Dim {
  if (typeof length === 'number') return length - r.removed.size * (length / r.period);
  const outer = divDims(length, r.period);
  return outer === null ? null : mulDims(outer, r.period - r.removed.size);
}

/** A shape with every removal of tensor `name` applied. */
export function prunedShape(shape: readonly Dim[], removals: ReadonlyMap<number, Removal> | undefined): Dim[] {
  return shape.map((d, axis) => {
    const r = removals?.get(axis);
    return r ? newLength(d, r) : d;
  });
}

/** How many removed positions lie before `index` on an axis the removal covers once. */
export function removedBefore(r: Removal, index: number): number {
  let n = 0;
  for (const p of r.removed) if (p < index) n++;
  return n;
}
