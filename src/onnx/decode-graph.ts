/**
 * GraphProto -> IR Graph. Subgraphs (If/Loop/Scan bodies) are decoded recursively; a name a subgraph uses but does
 * not define resolves through the enclosing scopes to the outer graph's own Value object, so the outer value's `uses`
 * include the subgraph's nodes (it is not dead code), renames propagate, and the name is re-encoded unchanged. Such a
 * value is not registered in the subgraph: `subgraph.value(name)` is undefined (see `outerScopeValues`).
 */
import type { GraphProto, NodeProto, ValueInfoProto } from 'onnx-buf';
import { dtypeFromCode } from '../ir/dtype.js';
import { Graph, Node, type Dim, type Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { decodeAttribute } from './attributes.js';
import type { DecodeContext } from './context.js';
import { graphExtras, isPlainTensorType, nodeExtras, valueExtras } from './extras.js';
import { decodeSparse } from './sparse.js';
import { decodeTensor } from './tensor-codec.js';

/** The graphs a name is looked up in, innermost first. */
export interface Scope {
  readonly graph: Graph;
  readonly parent: Scope | undefined;
}

function lookup(scope: Scope | undefined, name: string): Value | undefined {
  for (let s = scope; s; s = s.parent) {
    const v = s.graph.value(name);
    if (v) return v;
  }
  return undefined;
}

/** Decodes a graph; `parent` is the enclosing scope for subgraphs. Problems are collected in `ctx.problems`. */
export function decodeGraph(p: GraphProto, ctx: DecodeContext, parent?: Scope): Graph {
  const g = new Graph(p.name);
  g.docString = p.docString;
  const where = parent ? `subgraph '${p.name}'` : `graph '${p.name}'`;
  const define = (name: string, what: string): Value | undefined => {
    if (!g.value(name)) return g.addValue(name);
    ctx.problems.push(`${where}: value '${name}' is defined twice (again as ${what}).`);
    return undefined;
  };
  for (const vi of p.input) {
    const v = define(vi.name, 'a graph input');
    if (v) { applyValueInfo(v, vi); g.inputs.push(v); }
  }
  decodeInitializers(p, g, ctx, where);
  const nodes = p.node.map((np) => createNode(np, g, define));
  const valueInfo = p.valueInfo.map((vi) => {
    const v = g.value(vi.name);
    if (v) applyValueInfo(v, vi);
    return v ?? vi;
  });
  const scope: Scope = { graph: g, parent };
  nodes.forEach((node, i) => connectNode(node, p.node[i]!, scope, ctx));
  for (const vi of p.output) {
    const outer = g.value(vi.name) ? undefined : lookup(parent, vi.name);
    const v = outer ?? g.value(vi.name) ?? g.addValue(vi.name);
    if (!outer) applyValueInfo(v, vi); // an outer value keeps the type its own graph gave it
    g.outputs.push(v);
  }
  graphExtras.set(g, {
    quantizationAnnotation: p.quantizationAnnotation, metadataProps: p.metadataProps, unknown: p.$unknown, valueInfo,
  });
  return g;
}

function decodeInitializers(p: GraphProto, g: Graph, ctx: DecodeContext, where: string): void {
  const add = (name: string, tensor: Tensor, storage: Value['storage']): void => {
    const existing = g.value(name);
    if (existing && (existing.constant || !g.inputs.includes(existing))) {
      ctx.problems.push(`${where}: initializer '${name}' is defined twice.`);
      return;
    }
    const v = existing ?? g.addValue(name, { constant: tensor });
    if (existing && existing.dtype === undefined) {
      // an untyped graph input that is an initializer: remember that its value_info had no type, to write none
      const ex = valueExtras.get(existing);
      valueExtras.set(existing, { type: ex?.type, dtype: tensor.dtype, shape: [...tensor.dims], metadataProps: ex?.metadataProps ?? [], unknown: ex?.unknown });
    }
    v.constant = tensor;
    v.dtype ??= tensor.dtype;
    v.shape ??= [...tensor.dims];
    v.storage = storage;
    g.initializers.push(v);
  };
  for (const tp of p.initializer) add(tp.name, decodeTensor(tp, ctx, `initializer '${tp.name}'`, false), 'dense');
  for (const sp of p.sparseInitializer) {
    const { name, tensor } = decodeSparse(sp, ctx);
    add(name, tensor, 'sparse');
  }
}

/** Creates a node and its output values (inputs are connected once every graph name is known). */
function createNode(np: NodeProto, g: Graph, define: (name: string, what: string) => Value | undefined): Node {
  const node = new Node(np.opType, np.name, np.domain);
  node.docString = np.docString;
  const what = `an output of node '${np.name || np.opType}'`;
  node.setOutputs(np.output.map((name) => (name === '' ? null : define(name, what) ?? null)));
  g.insertNode(node);
  const hasExtras = np.overload || np.metadataProps.length > 0 || np.deviceConfigurations.length > 0 || np.$unknown;
  if (hasExtras || np.attribute.length > 1) {
    nodeExtras.set(node, {
      overload: np.overload, metadataProps: np.metadataProps, deviceConfigurations: np.deviceConfigurations,
      unknown: np.$unknown, attributeOrder: np.attribute.map((a) => a.name),
    });
  }
  return node;
}

function connectNode(node: Node, np: NodeProto, scope: Scope, ctx: DecodeContext): void {
  const label = `node '${np.name || np.opType}' (${np.opType})`;
  const decoders = {
    tensor: (t: Parameters<typeof decodeTensor>[0], what: string) => decodeTensor(t, ctx, `${label} attribute ${what}`),
    graph: (sub: GraphProto) => decodeGraph(sub, ctx, scope),
  };
  for (const a of np.attribute) {
    if (node.attributes.has(a.name)) ctx.problems.push(`${label}: attribute '${a.name}' appears twice.`);
    node.attributes.set(a.name, decodeAttribute(a, decoders, `'${a.name}'`));
  }
  node.setInputs(np.input.map((name) => (name === '' ? null : lookup(scope, name) ?? scope.graph.addValue(name))));
}

/** Sets dtype, shape and doc string from a ValueInfoProto; the proto type is kept to re-emit it unchanged. */
function applyValueInfo(v: Value, vi: ValueInfoProto): void {
  const t = vi.type?.value;
  if (t?.case === 'tensorType') {
    v.dtype = dtypeFromCode(t.value.elemType) ?? v.dtype;
    const shape = t.value.shape?.dim.map((d): Dim => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : null));
    if (shape) v.shape = shape;
  }
  if (vi.docString) v.docString = vi.docString;
  const plain = vi.type ? isPlainTensorType(vi.type, v.dtype !== undefined) : v.dtype === undefined && v.shape === undefined;
  if (plain && vi.metadataProps.length === 0 && !vi.$unknown) {
    valueExtras.delete(v);
    return;
  }
  valueExtras.set(v, {
    type: vi.type, dtype: v.dtype, shape: v.shape ? [...v.shape] : undefined, metadataProps: vi.metadataProps, unknown: vi.$unknown,
  });
}


