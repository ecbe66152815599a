import { Graph, type Attribute, type Model, Node } from './graph.js';

/**
 * A deep copy of a model's structure: new Graph/Node/Value objects, shared (immutable) Tensors, so cloning never reads
 * lazy external data. Edits to the clone never touch the original.
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

/** A deep copy of one graph (subgraphs included). */
export function cloneGraph(src: Graph): Graph {
  const g = new Graph(src.name);
  g.docString = src.docString;
  const outer = new Set(src.outerValues);
  for (const v of src.allValues()) {
    const info = { ...(v.dtype ? { dtype: v.dtype } : {}), ...(v.shape ? { shape: [...v.shape] } : {}) };
    const c = outer.has(v) ? g.addOuterValue(v.name, info) : g.addValue(v.name, { ...info, ...(v.constant ? { constant: v.constant } : {}) });
    c.storage = v.storage;
    c.docString = v.docString;
  }
  for (const v of src.initializers) g.initializers.push(g.requireValue(v.name));
  for (const v of src.inputs) g.inputs.push(g.requireValue(v.name));
  for (const v of src.outputs) g.outputs.push(g.requireValue(v.name));
  for (const n of src.nodes) {
    const c = new Node(n.opType, n.name, n.domain);
    c.docString = n.docString;
    for (const [k, a] of n.attributes) c.attributes.set(k, cloneAttribute(a));
    c.setInputs(n.inputs.map((v) => (v ? g.requireValue(v.name) : null)));
    c.setOutputs(n.outputs.map((v) => (v ? g.requireValue(v.name) : null)));
    g.insertNode(c);
  }
  return g;
}

function cloneAttribute(a: Attribute): Attribute {
  switch (a.type) {
    case 'graph': return { type: 'graph', value: cloneGraph(a.value) };
    case 'graphs': return { type: 'graphs', value: a.value.map(cloneGraph) };
    case 'floats': case 'ints': case 'strings': case 'tensors': return { ...a, value: [...a.value] } as Attribute;
    default: return a;
  }
}
