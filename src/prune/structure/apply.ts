/**
 * `applyStructuredPlan`: the only function here that builds a changed model. It clones the input, slices every
 * member constant (initializers and Constant-node tensors) along its axis, updates shape annotations, rewrites the
 * parameters that spell channel counts, removes what became dead, and verifies the result.
 * @module
 */
import { SecateursError } from '../../errors.js';
import { cloneModel } from '../../ir/clone.js';
import type { Model, Value } from '../../ir/graph.js';
import { assertValid, cleanup } from '../../ir/passes.js';
import { buildDependencyGraph } from './analyze.js';
import { checkPlan, prunedShape, removalTable, type Removal } from './removal.js';
import { runRewrite } from './rewrite.js';
import { constantTensor, expandPositions, sliceTensor } from './tensors.js';
import type { ChannelRuleEntry, DependencyGraph, StructuredPlan } from './types.js';

/** Options of {@link applyStructuredPlan}. */
export interface ApplyOptions {
  /** The dependency graph the plan was made from; default: analyzed again (same ids, the analysis is deterministic). */
  readonly graph?: DependencyGraph;
  /** Extra rule rows, as given to `buildDependencyGraph` (only used when `graph` is not given). */
  readonly rules?: readonly ChannelRuleEntry[];
}

/**
 * A copy of `model` with the plan's channels physically removed. The input is never modified. Output names and
 * shapes are unchanged (groups that reach a graph output are blocked).
 *
 * @throws SecateursError `PRUNE_PLAN` listing every bad plan entry; `IR_INVALID` if the result fails verification.
 * @example
 * ```ts
 * const dg = buildDependencyGraph(model);
 * const plan = planByRatio(dg, scoreGroups(dg), { ratio: 0.5, roundTo: 8 });
 * const smaller = applyStructuredPlan(model, plan, { graph: dg });
 * ```
 */
export function applyStructuredPlan(model: Model, plan: StructuredPlan, options: ApplyOptions = {}): Model {
  const dg = options.graph ?? buildDependencyGraph(model, options.rules ? { rules: options.rules } : {});
  checkPlan(dg, plan);
  const removal = removalTable(dg, plan);
  const out = cloneModel(model);
  for (const [name, byAxis] of removal) {
    const v = out.graph.value(name);
    if (!v) throw new SecateursError('PRUNE_APPLY', `tensor '${name}' of the plan is not in the model (was the graph built from another model?).`);
    if (constantTensor(v)) sliceConstant(v, byAxis);
    else if (v.shape) v.shape = prunedShape(v.shape, byAxis);
  }
  for (const task of dg.rewrites) {
    const ref = dg.model.graph.value(task.output)?.producer;
    const node = out.graph.value(task.output)?.producer;
    if (!ref || !node) throw new SecateursError('PRUNE_APPLY', `node '${task.node}' to rewrite is not in the model.`);
    runRewrite(task.kind, { out, node, ref, dg, removal, opset: out.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain) ?? 1 });
  }
  cleanup(out.graph);
  assertValid(out, 'pruned model');
  return out;
}

/** Slices an initializer or a Constant node's tensor along every axis that lost positions. */
function sliceConstant(v: Value, byAxis: ReadonlyMap<number, Removal>): void {
  let t = constantTensor(v)!;
  for (const [axis, r] of byAxis) {
    const length = t.dims[axis]!;
    const keep = new Set<number>();
    for (let p = 0; p < r.period; p++) if (!r.removed.has(p)) keep.add(p);
    t = sliceTensor(t, axis, expandPositions(keep, r.period, length));
  }
  v.shape = [...t.dims];
  if (v.constant) v.constant = t;
  else v.producer!.attributes.set('value', { type: 'tensor', value: t });
}
