/**
 * MACs of a plan without applying it: every node's MAC rule (the metrics module's table) evaluated on the shapes the
 * plan leaves (batch 1, symbolic dims 1). Applying a plan to a 25M-parameter model copies every sliced tensor; this
 * reads only shapes, so a MAC target can be bisected in milliseconds.
 * @module
 */
import { cloneModel } from '../../ir/clone.js';
import type { Node, Value } from '../../ir/graph.js';
import { inferShapes } from '../../ir/shapes/index.js';
import { findMacRule, findParameters, type MacRule } from '../../metrics/index.js';
import { constantTensor } from './tensors.js';
import type { DependencyGraph, StructuredPlan } from './types.js';

interface MacNode {
  readonly rule: MacRule;
  readonly node: Node;
  readonly inputs: readonly (readonly [string, readonly number[]] | undefined)[];
  readonly outputs: readonly (readonly [string, readonly number[]] | undefined)[];
}

/** Counts the MACs (batch 1) a plan leaves; build once per dependency graph, call per plan. */
export interface PlanMacs {
  /** MACs of the unpruned model (the sum over every node with a MAC rule and known shapes). */
  readonly dense: number;
  /** MACs left by `plan`. */
  of(plan: StructuredPlan): number;
}

/**
 * A MAC counter for plans of `dg`. Equal to `modelStats(applyStructuredPlan(model, plan), { shapes: 'static' }).macs`
 * for every plan (the tests check it on the zoo models), at a fraction of the cost.
 *
 * @example
 * ```ts
 * const macs = planMacs(dg);
 * macs.of(planByRatio(dg, scores, { ratio: 0.5 })) / macs.dense;   // ~0.25 for a plain CNN
 * ```
 */
export function planMacs(dg: DependencyGraph): PlanMacs {
  const fixed = cloneModel(dg.model);
  const dims: Record<string, number> = {};
  for (const v of fixed.graph.allValues()) for (const d of v.shape ?? []) if (typeof d === 'string' && !d.includes('*')) dims[d] = 1;
  inferShapes(fixed, { fixedDims: dims });
  const numeric = (v: Value | null): readonly [string, readonly number[]] | undefined => {
    const s = v ? constantTensor(v)?.dims ?? v.shape : undefined;
    return v && s && s.every((d) => typeof d === 'number') ? [v.name, s as number[]] : undefined;
  };
  const nodes: MacNode[] = [];
  for (const node of fixed.graph.nodes) {
    const rule = findMacRule(node.domain, node.opType, fixed.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain));
    if (rule) nodes.push({ rule, node, inputs: node.inputs.map(numeric), outputs: node.outputs.map(numeric) });
  }
  const count = (plan: StructuredPlan): number => {
    const removed = removedCounts(dg, plan);
    const shape = (e: readonly [string, readonly number[]] | undefined): readonly number[] | undefined => {
      const byAxis = e && removed.get(e[0]);
      return byAxis ? e[1].map((d, axis) => keptLength(d, byAxis.get(axis))) : e?.[1];
    };
    let total = 0;
    for (const n of nodes) total += n.rule({ node: n.node, input: (i) => shape(n.inputs[i]), output: (i) => shape(n.outputs[i]) }) ?? 0;
    return total;
  };
  return { dense: count({ groups: [] }), of: count };
}

/** Counts the parameters a plan leaves; build once per dependency graph, call per plan. */
export interface PlanParams {
  /** Parameters of the unpruned model (what `modelStats(...).params` counts: weights and biases, not buffers). */
  readonly dense: number;
  /** Parameters left by `plan`. */
  of(plan: StructuredPlan): number;
}

/**
 * A parameter counter for plans of `dg`, from shapes only: every parameter tensor's kept length along each axis the
 * plan shrinks. Equal to `modelStats(applyStructuredPlan(model, plan)).params` for every plan (tested).
 *
 * @example
 * ```ts
 * const params = planParams(dg);
 * params.of(planByRatio(dg, scores, { ratio: 0.5 })) / params.dense;   // ~0.25–0.5
 * ```
 */
export function planParams(dg: DependencyGraph): PlanParams {
  const tensors = findParameters(dg.model.graph).filter((p) => p.kind === 'param').map((p) => [p.name, p.tensor.dims] as const);
  const count = (plan: StructuredPlan): number => {
    const removed = removedCounts(dg, plan);
    let total = 0;
    for (const [name, dims] of tensors) {
      const byAxis = removed.get(name);
      total += dims.reduce((a, d, axis) => a * (byAxis ? keptLength(d, byAxis.get(axis)) : d), 1);
    }
    return total;
  };
  return { dense: count({ groups: [] }), of: count };
}

/** How many positions per period a plan removes from one axis of a tensor. */
export interface RemovedCount {
  readonly period: number;
  readonly count: number;
}

/**
 * Positions per period a plan removes, by tensor and axis: the sizes of `removalTable`'s sets without building them
 * (groups own disjoint positions, so counts add up). Planners call this once per candidate plan.
 *
 * @example
 * ```ts
 * removedCounts(dg, { groups: [{ id: 0, prune: [3, 4] }] }).get('fc1/weight')?.get(0);   // { period: 300, count: 2 }
 * ```
 */
export function removedCounts(dg: DependencyGraph, plan: StructuredPlan): Map<string, Map<number, RemovedCount>> {
  const out = new Map<string, Map<number, RemovedCount>>();
  for (const e of plan.groups) {
    if (e.prune.length === 0) continue;
    for (const m of dg.groups[e.id]!.members) {
      let n = 0;
      for (const c of e.prune) n += m.indexMap.positions[c]?.length ?? 0;
      if (n === 0) continue;
      const byAxis = out.get(m.tensor) ?? new Map<number, RemovedCount>();
      out.set(m.tensor, byAxis);
      byAxis.set(m.axis, { period: m.indexMap.period, count: (byAxis.get(m.axis)?.count ?? 0) + n });
    }
  }
  return out;
}

/** The length of an axis of `length` after a removal. */
export function keptLength(length: number, r: RemovedCount | undefined): number {
  return r ? length - r.count * (length / r.period) : length;
}
