/**
 * Choosing layers: selectors (exact name, regular expression, op type), exclusions, and the "keep the classifier /
 * keep the first layer" conveniences. A selector that matches nothing is an error, never a silent no-op.
 */
import type { Model, Node, Value } from '../ir/graph.js';
import type { PruneTarget } from './targets.js';

/**
 * Picks layers: a string is an exact target (initializer) name or node name, a RegExp is tested against both, and
 * `{ opType }` matches every layer read by a node of that op type.
 */
export type LayerSelector = string | RegExp | { readonly opType: string };

/** Which layers an operation works on. Every field is optional. */
export interface LayerSelection {
  /** Only these layers (default: every prunable layer). */
  readonly include?: readonly LayerSelector[];
  /** Never these layers. */
  readonly exclude?: readonly LayerSelector[];
  /** Leave the layers that feed the graph outputs (the classifier) dense; default false. */
  readonly keepClassifier?: boolean;
  /** Leave the layers that read the graph inputs dense; default false. */
  readonly keepFirst?: boolean;
}

/** Text of a selector for messages. */
export function describeSelector(s: LayerSelector): string {
  if (typeof s === 'string') return `'${s}'`;
  if (s instanceof RegExp) return String(s);
  return `{ opType: '${s.opType}' }`;
}

/**
 * True when `s` picks target `t`.
 *
 * @example
 * ```ts
 * matchesSelector(/^fc/, target);            // true for 'fc1/weight'
 * matchesSelector({ opType: 'Conv' }, target);
 * ```
 */
export function matchesSelector(s: LayerSelector, t: PruneTarget): boolean {
  if (typeof s === 'string') return t.name === s || t.nodes.includes(s);
  if (s instanceof RegExp) return [t.name, ...t.nodes].some((n) => { s.lastIndex = 0; return s.test(n); });
  return t.uses.some((u) => u.opType === s.opType);
}

/** The problems of a list of selectors: one line per selector that matches no target. */
export function unmatchedSelectors(selectors: readonly LayerSelector[] | undefined, targets: readonly PruneTarget[], what: string): string[] {
  return (selectors ?? [])
    .filter((s) => !targets.some((t) => matchesSelector(s, t)))
    .map((s) => `${what} ${describeSelector(s)} matches no prunable layer; prunable layers: ${listTargets(targets)}`);
}

/** The targets' names, quoted and comma-separated (for messages). */
export function listTargets(targets: readonly PruneTarget[]): string {
  return targets.length === 0 ? '(none)' : targets.map((t) => `'${t.name}'`).join(', ');
}

/**
 * The targets a selection keeps, plus the problems found (selectors matching nothing, nothing left). Checks only;
 * callers report the problems together with their own.
 *
 * @example
 * ```ts
 * const { selected, problems } = selectTargets(model, findTargets(model), { exclude: [/fc3/] });
 * ```
 */
export function selectTargets(model: Model, targets: readonly PruneTarget[], sel: LayerSelection = {}): { selected: PruneTarget[]; problems: string[] } {
  const problems = [...unmatchedSelectors(sel.include, targets, 'include'), ...unmatchedSelectors(sel.exclude, targets, 'exclude')];
  const kept = new Set<string>();
  if (sel.keepClassifier) for (const n of edgeTargets(model, targets, 'output')) kept.add(n);
  if (sel.keepFirst) for (const n of edgeTargets(model, targets, 'input')) kept.add(n);
  const selected = targets.filter((t) =>
    (!sel.include || sel.include.some((s) => matchesSelector(s, t))) &&
    !(sel.exclude ?? []).some((s) => matchesSelector(s, t)) &&
    !kept.has(t.name));
  if (targets.length === 0) problems.push('the model has no prunable layer (Conv, ConvTranspose, Gemm, MatMul with a constant operand, LSTM/GRU/RNN)');
  else if (selected.length === 0 && problems.length === 0) problems.push(`the layer selection leaves nothing to prune; prunable layers: ${listTargets(targets)}`);
  return { selected, problems };
}

/**
 * Names of the targets at the edge of the network: `output` — layers whose result reaches a graph output without
 * passing through another prunable layer (the classifier); `input` — layers that read a graph input without another
 * prunable layer in between (the first layer).
 */
export function edgeTargets(model: Model, targets: readonly PruneTarget[], edge: 'input' | 'output'): string[] {
  const g = model.graph;
  const byNode = new Map<string, string>();
  for (const t of targets) for (const n of t.nodes) byNode.set(n, t.name);
  const found = new Set<string>();
  const seen = new Set<Value>();
  const stack: Value[] = edge === 'output' ? [...g.outputs] : g.inputs.filter((v) => !v.constant);
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const next: Node[] = edge === 'output' ? (v.producer ? [v.producer] : []) : v.consumers;
    for (const n of next) {
      const hit = byNode.get(n.name);
      if (hit) { found.add(hit); continue; }
      const vs = edge === 'output' ? n.inputs : n.outputs;
      for (const w of vs) if (w) stack.push(w);
    }
  }
  return targets.filter((t) => found.has(t.name)).map((t) => t.name);
}
