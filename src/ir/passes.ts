import { SecateursError } from '../errors.js';
import type { Graph, Model, Node, Value } from './graph.js';

/**
 * Sorts `graph.nodes` so every node comes after the producers of its inputs. Stable: among ready nodes the original
 * order wins, so an already sorted graph is unchanged. Values from an enclosing graph count as available.
 *
 * @example
 * ```ts
 * toposort(model.graph);
 * ```
 */
export function toposort(graph: Graph): void {
  const order = new Map<Node, number>(graph.nodes.map((n, i) => [n, i]));
  const pending = new Map<Node, number>();
  const waiting = new Map<Node, Node[]>();
  for (const node of graph.nodes) {
    const deps = new Set<Node>();
    for (const p of producersOf(node, graph)) if (order.has(p) && p !== node) deps.add(p);
    pending.set(node, deps.size);
    for (const d of deps) {
      const list = waiting.get(d) ?? [];
      list.push(node);
      waiting.set(d, list);
    }
  }
  const ready = graph.nodes.filter((n) => pending.get(n) === 0);
  const heap = new MinHeap<Node>((a, b) => order.get(a)! - order.get(b)!);
  ready.forEach((n) => heap.push(n));
  const sorted: Node[] = [];
  while (heap.size > 0) {
    const n = heap.pop()!;
    sorted.push(n);
    for (const m of waiting.get(n) ?? []) {
      const left = pending.get(m)! - 1;
      pending.set(m, left);
      if (left === 0) heap.push(m);
    }
  }
  if (sorted.length !== graph.nodes.length) {
    const stuck = graph.nodes.filter((n) => !sorted.includes(n)).slice(0, 5).map((n) => `'${n.name}' (${n.opType})`);
    throw new SecateursError('IR_CYCLE', `graph '${graph.name}' has a cycle through ${stuck.join(', ')}.`);
  }
  graph.nodes.splice(0, graph.nodes.length, ...sorted);
}

/** Producers of a node's inputs, including values its subgraphs read from this graph. */
function producersOf(node: Node, graph: Graph): Node[] {
  const out: Node[] = [];
  for (const v of node.inputs) if (v?.producer) out.push(v.producer);
  for (const v of outerReads(node, graph)) if (v.producer) out.push(v.producer);
  return out;
}

/** Values of `graph` that a node's subgraph attributes (If/Loop/Scan bodies, nested ones included) read. */
export function outerReads(node: Node, graph: Graph): Value[] {
  const found: Value[] = [];
  for (const g of subgraphsOf(node)) {
    for (const v of outerScopeValues(g)) if (graph.value(v.name) === v) found.push(v);
  }
  return found;
}

/** The subgraphs held in a node's attributes. */
export function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attributes.values()) {
    if (a.type === 'graph') out.push(a.value);
    else if (a.type === 'graphs') out.push(...a.value);
  }
  return out;
}

/**
 * Values a subgraph reads from enclosing graphs (nested subgraphs included): node inputs that the subgraph itself
 * does not own, in first-use order.
 *
 * @example
 * ```ts
 * const branch = ifNode.attributes.get('then_branch');
 * if (branch?.type === 'graph') outerScopeValues(branch.value);   // [x] when the branch reads outer 'x'
 * ```
 */
export function outerScopeValues(g: Graph): Value[] {
  const seen = new Set<Value>();
  const visit = (v: Value | null): void => { if (v && g.value(v.name) !== v) seen.add(v); };
  for (const n of g.nodes) {
    n.inputs.forEach(visit);
    for (const sub of subgraphsOf(n)) outerScopeValues(sub).forEach(visit);
  }
  for (const v of g.outputs) visit(v);
  return [...seen];
}

/**
 * Removes nodes whose outputs reach no graph output (and no subgraph read), then initializers and values nothing
 * uses. Never removes graph inputs or outputs. Returns what was removed, for reports.
 */
export function cleanup(graph: Graph): { nodes: number; initializers: number } {
  const live = new Set<Node>();
  const stack: Value[] = [...graph.outputs];
  const seen = new Set<Value>();
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = v.producer;
    if (!p || live.has(p)) continue;
    live.add(p);
    for (const i of p.inputs) if (i) stack.push(i);
    for (const o of outerReads(p, graph)) stack.push(o);
  }
  const readBySubgraphs = new Set<Value>([...live].flatMap((n) => outerReads(n, graph)));
  const dead = graph.nodes.filter((n) => !live.has(n));
  dead.forEach((n) => graph.removeNode(n));
  let initializers = 0;
  for (const v of [...graph.allValues()]) {
    if (v.uses.length > 0 || v.producer || graph.outputs.includes(v) || graph.inputs.includes(v)) continue;
    if (readBySubgraphs.has(v)) continue;
    if (v.constant) initializers++;
    graph.dropValue(v);
  }
  return { nodes: dead.length, initializers };
}

/** One problem found by `verify`. */
export interface Problem {
  readonly where: string;
  readonly message: string;
}

/**
 * Checks structural validity: every input defined (graph input, initializer, earlier node output, or outer scope),
 * single assignment, no cycles (nodes in topological order), graph outputs produced, an opset import for every domain
 * used. Returns all problems; `assertValid` throws them together.
 */
export function verify(model: Model): Problem[] {
  const problems: Problem[] = [];
  verifyGraph(model.graph, model, problems, new Set());
  return problems;
}

/** Throws a SecateursError ('IR_INVALID') listing every problem `verify` finds. */
export function assertValid(model: Model, subject = 'model'): void {
  const p = verify(model);
  if (p.length === 0) return;
  const lines = p.slice(0, 20).map((x) => `${x.where}: ${x.message}`);
  if (p.length > 20) lines.push(`... and ${p.length - 20} more`);
  throw new SecateursError('IR_INVALID', `${subject} is not a valid graph (${p.length} problem${p.length > 1 ? 's' : ''}):\n  - ${lines.join('\n  - ')}`);
}

function verifyGraph(graph: Graph, model: Model, problems: Problem[], outer: Set<string>): void {
  const defined = new Set<string>(outer);
  const producedBy = new Map<string, string>();
  for (const v of graph.inputs) defined.add(v.name);
  for (const v of graph.initializers) defined.add(v.name);
  for (const node of graph.nodes) {
    const where = `node '${node.name}' (${node.opType})`;
    node.inputs.forEach((v, i) => {
      if (v && !defined.has(v.name)) {
        const later = producedBy.has(v.name) || v.producer !== undefined;
        problems.push({ where, message: `input ${i} '${v.name}' is ${later ? 'used before it is produced (graph not in topological order or cyclic)' : 'never defined'}` });
      }
    });
    for (const g of subgraphsOf(node)) verifyGraph(g, model, problems, defined);
    for (const v of node.outputs) {
      if (!v) continue;
      if (producedBy.has(v.name) || graph.inputs.includes(v) || v.constant) {
        problems.push({ where, message: `output '${v.name}' is assigned more than once` });
      }
      producedBy.set(v.name, node.name);
      defined.add(v.name);
    }
    if (!model.opsets.has(node.domain) && !(node.domain === 'ai.onnx' && model.opsets.has(''))) {
      problems.push({ where, message: `domain '${node.domain || 'ai.onnx'}' has no opset import` });
    }
  }
  for (const v of graph.outputs) {
    if (!defined.has(v.name)) problems.push({ where: `graph '${graph.name}'`, message: `output '${v.name}' is never produced` });
  }
}

/** A small binary heap (stable toposort needs "smallest original index first"). */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[i]!, a[p]!) >= 0) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
