/**
 * Which part of a forward graph is differentiated: values the loss depends on (backward reachability), intersected
 * with values that depend on a parameter through differentiable edges (forward reachability). Integer, bool and
 * string values never carry gradients, so Shape, comparisons, ArgMax, NonZero and indices stop them on their own;
 * per-op stop-gradient inputs (Pow's exponent, Where's condition) come from the rule table's `differentiable`.
 * @module
 */
import { isFloat } from '../ir/dtype.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import { outerReads } from '../ir/passes.js';
import type { MissingRule } from './registry.js';
import type { GradRuleEntry } from './types.js';

/** True for values that can carry a gradient: float types, or a dtype inference could not tell. */
export function carriesGradient(v: Value): boolean {
  return v.dtype === undefined || isFloat(v.dtype);
}

/** Every value some value of `targets` depends on (inputs, and values subgraphs read), the targets included. */
export function dependencies(graph: Graph, targets: readonly Value[]): Set<Value> {
  const seen = new Set<Value>();
  const stack = [...targets];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = v.producer;
    if (!p) continue;
    for (const i of p.inputs) if (i) stack.push(i);
    for (const o of outerReads(p, graph)) stack.push(o);
  }
  return seen;
}

/** The differentiated region: nodes with a rule on a path from a parameter to a loss, and the values on such paths. */
export interface Region {
  /** Nodes whose rule runs (in forward order). */
  readonly nodes: readonly Node[];
  /** Rule row of each such node. */
  readonly rules: ReadonlyMap<Node, GradRuleEntry>;
  /** Values that depend on a parameter through differentiable edges and that a loss depends on. */
  readonly values: ReadonlySet<Value>;
  /** Nodes on such a path that have no rule (an error for the caller to raise, all together). */
  readonly missing: readonly MissingRule[];
}

/**
 * Walks the (topologically sorted) graph forward from `params`, looking each touched node's rule up. A node without a
 * rule is only a problem when one of its float outputs leads to a loss; then it is listed in `missing`.
 *
 * @example
 * ```ts
 * const region = differentiableRegion(graph, [w], dependencies(graph, [loss]), lookup);
 * region.values.has(hidden);   // true when hidden depends on w and the loss depends on hidden
 * ```
 */
export function differentiableRegion(
  graph: Graph, params: readonly Value[], needed: ReadonlySet<Value>,
  lookup: (node: Node) => { entry: GradRuleEntry | undefined; opset: number },
): Region {
  const reached = new Set<Value>(params);
  const nodes: Node[] = [];
  const rules = new Map<Node, GradRuleEntry>();
  const missing: MissingRule[] = [];
  for (const node of graph.nodes) {
    const touched = node.inputs.some((v) => v && reached.has(v)) || outerReads(node, graph).some((v) => reached.has(v));
    if (!touched) continue;
    const leads = node.outputs.some((o) => o && needed.has(o) && carriesGradient(o));
    const { entry, opset } = lookup(node);
    if (!entry) {
      // Keep walking as if it passed gradients through, so every missing rule on the path is reported at once.
      if (leads) missing.push({ node, opset });
      for (const o of node.outputs) if (o && carriesGradient(o)) reached.add(o);
      continue;
    }
    const slots = entry.differentiable;
    const flows = node.inputs.some((v, i) => v && reached.has(v) && (!slots || slots.includes(i)));
    if (!flows) continue;
    for (const o of node.outputs) if (o && carriesGradient(o)) reached.add(o);
    if (leads) {
      nodes.push(node);
      rules.set(node, entry);
    }
  }
  const values = new Set([...reached].filter((v) => needed.has(v)));
  return { nodes, rules, values, missing };
}
