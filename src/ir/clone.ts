import { Graph, type Attribute, type Model, Node, type Value } from './graph.js';

/**
 * A deep copy of a model's structure: new Graph/Node/Value objects, shared (immutable) Tensors, so cloning never reads
 * lazy external data. Edits to the clone never touch the original. (Codec side tables — quantization annotations,
 * value_info denotations — belong to the original objects and are not carried over.)
 *
 * @example
 * ```ts
 * const copy = cloneModel(model);
 * copy.graph.outputs.push(copy.graph.requireValue('hidden'));
 * ```
 */
export function cloneModel(model: Model): Model {
  return {
    ...model,
    opsets: new Map(model.opsets),
    metadata: new Map(model.metadata),
    preserved: [...model.preserved],
    graph: cloneGraph(model.graph),
  };
}

/**
 * A deep copy of one graph, subgraphs included. `outer` resolves names a subgraph reads from its enclosing graphs
 * (in the copy); top-level graphs need none.
 */
export function cloneGraph(src: Graph, outer?: (name: string) => Value | undefined): Graph {
  const g = new Graph(src.name);
  g.docString = src.docString;
  for (const v of src.allValues()) {
    const c = g.addValue(v.name, {
      ...(v.dtype ? { dtype: v.dtype } : {}),
      ...(v.shape ? { shape: [...v.shape] } : {}),
      ...(v.constant ? { constant: v.constant } : {}),
    });
    c.storage = v.storage;
    c.docString = v.docString;
  }
  const resolve = (v: Value): Value => {
    const own = src.value(v.name) === v ? g.value(v.name) : outer?.(v.name);
    if (!own) throw new Error(`cloneGraph: value '${v.name}' of graph '${src.name}' has no definition in scope.`);
    return own;
  };
  const scope = (name: string): Value | undefined => g.value(name) ?? outer?.(name);
  for (const v of src.initializers) g.initializers.push(resolve(v));
  for (const v of src.inputs) g.inputs.push(resolve(v));
  for (const v of src.outputs) g.outputs.push(resolve(v));
  for (const n of src.nodes) {
    const c = new Node(n.opType, n.name, n.domain);
    c.docString = n.docString;
    for (const [k, a] of n.attributes) c.attributes.set(k, cloneAttribute(a, scope));
    c.setInputs(n.inputs.map((v) => (v ? resolve(v) : null)));
    c.setOutputs(n.outputs.map((v) => (v ? resolve(v) : null)));
    g.insertNode(c);
  }
  return g;
}

function cloneAttribute(a: Attribute, scope: (name: string) => Value | undefined): Attribute {
  switch (a.type) {
    case 'graph': return { type: 'graph', value: cloneGraph(a.value, scope) };
    case 'graphs': return { type: 'graphs', value: a.value.map((x) => cloneGraph(x, scope)) };
    case 'floats': case 'ints': case 'strings': case 'tensors': return { ...a, value: [...a.value] } as Attribute;
    default: return a;
  }
}
