/**
 * Known contents of small values (shape arithmetic: Shape → Gather → Unsqueeze → Concat, Slice bounds computed from
 * shapes), by running the shape rules of `ir/shapes` with a table of known values. The graph's shapes must already
 * be inferred (`inferShapes`); this pass only collects what the rules fold.
 * @module
 */
import type { Dim, Model, Value } from '../../ir/graph.js';
import { findShapeRule, ruleContext, valueOfTensor, type KnownValue } from '../../ir/shapes/index.js';

/**
 * The folded contents of every value whose contents are known statically, by value name.
 *
 * @example
 * ```ts
 * inferShapes(model);
 * foldValues(model).get('/layer/self_attn/Mul_output_0');   // [64]
 * ```
 */
export function foldValues(model: Model): Map<string, readonly Dim[]> {
  const known = new Map<Value, KnownValue | null>();
  for (const node of model.graph.nodes) {
    const opset = model.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain) ?? 0;
    const rule = findShapeRule(node.domain, node.opType, opset);
    if (!rule) continue;
    const outs = rule(ruleContext(node, opset, known));
    node.outputs.forEach((v, i) => {
      const info = outs[i];
      if (v && info?.value) known.set(v, info.value);
    });
  }
  const out = new Map<string, readonly Dim[]>();
  for (const [v, k] of known) if (k) out.set(v.name, k.data);
  for (const v of model.graph.initializers) {
    const c = v.constant ? valueOfTensor(v.constant) : undefined;
    if (c && !out.has(v.name)) out.set(v.name, c.data);
  }
  return out;
}
