/**
 * IR Graph -> GraphProto. Everything the decoder kept aside (extras.ts) is re-emitted for objects that are still
 * there; value_info keeps its file order, with newly typed values appended in graph order; attributes keep their file
 * order, with new ones sorted by name.
 */
import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema, NodeProtoSchema, SparseTensorProtoSchema, TensorShapeProtoSchema, TensorShapeProto_DimensionSchema,
  TypeProtoSchema, TypeProto_TensorSchema, ValueInfoProtoSchema,
  type GraphProto, type NodeProto, type SparseTensorProto, type TensorProto, type TypeProto, type ValueInfoProto,
} from 'onnx-buf';
import { SecateursError } from '../errors.js';
import { dtypeCode } from '../ir/dtype.js';
import { Value, type Dim, type Graph, type Node } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { encodeAttribute } from './attributes.js';
import { graphExtras, nodeExtras, sameShape, tensorExtras, valueExtras } from './extras.js';
import type { SparseParts } from './sparse.js';
import { tensorHeader, type ExternalPlacement } from './tensor-codec.js';

/** Decisions made before encoding: which tensors go to the side file, which initializers are written sparse. */
export interface EncodePlan {
  readonly external: ReadonlyMap<Tensor, ExternalPlacement>;
  readonly sparse: ReadonlyMap<Value, SparseParts>;
}

/** An inline or external TensorProto with its data (reads lazy data when inline). */
export function fullTensor(t: Tensor, name: string, plan: EncodePlan): TensorProto {
  const ext = plan.external.get(t);
  const p = tensorHeader(t, name, ext);
  if (!ext && t.dtype !== 'string' && t.byteLength > 0) p.rawData = t.bytes() as TensorProto['rawData'];
  return p;
}

/** A sparse initializer around its parts (values named after the initializer, as ONNX requires). */
export function sparseProto(v: Value, parts: SparseParts, plan: EncodePlan): SparseTensorProto {
  return create(SparseTensorProtoSchema, {
    values: fullTensor(parts.values, v.name, plan),
    indices: fullTensor(parts.indices, '', plan),
    dims: constantOf(v).dims.map((d) => BigInt(d)),
  });
}

/** The initializer's tensor, or an error naming it. */
export function constantOf(v: Value): Tensor {
  if (!v.constant) throw new SecateursError('ONNX_ENCODE', `initializer '${v.name}' has no tensor data.`);
  return v.constant;
}

/** Encodes a graph. With `top`, initializers are left out: the model encoder writes them straight through. */
export function encodeGraph(g: Graph, plan: EncodePlan, top = false): GraphProto {
  const p = create(GraphProtoSchema);
  p.node = g.nodes.map((n) => encodeNode(n, plan));
  if (g.name) p.name = g.name;
  if (!top) {
    for (const v of g.initializers) {
      const parts = plan.sparse.get(v);
      if (parts) p.sparseInitializer.push(sparseProto(v, parts, plan));
      else p.initializer.push(fullTensor(constantOf(v), v.name, plan));
    }
  }
  if (g.docString) p.docString = g.docString;
  p.input = g.inputs.map(valueInfo);
  p.output = g.outputs.map(valueInfo);
  p.valueInfo = valueInfos(g);
  const extras = graphExtras.get(g);
  if (extras) {
    if (extras.quantizationAnnotation.length > 0) p.quantizationAnnotation = extras.quantizationAnnotation;
    if (extras.metadataProps.length > 0) p.metadataProps = extras.metadataProps;
    if (extras.unknown) p.$unknown = extras.unknown;
  }
  return p;
}

function encodeNode(n: Node, plan: EncodePlan): NodeProto {
  const extras = nodeExtras.get(n);
  const p = create(NodeProtoSchema, { opType: n.opType });
  p.input = n.inputs.map((v) => v?.name ?? '');
  p.output = n.outputs.map((v) => v?.name ?? '');
  if (n.name) p.name = n.name;
  if (n.domain) p.domain = n.domain;
  if (n.docString) p.docString = n.docString;
  const where = `node '${n.name}' (${n.opType})`;
  const encoders = {
    tensor: (t: Tensor) => fullTensor(t, tensorExtras.get(t)?.name ?? '', plan),
    graph: (g: Graph) => encodeGraph(g, plan),
  };
  p.attribute = attributeOrder(n, extras?.attributeOrder).map((name) => encodeAttribute(name, n.attributes.get(name)!, encoders, where));
  if (extras) {
    if (extras.overload) p.overload = extras.overload;
    if (extras.metadataProps.length > 0) p.metadataProps = extras.metadataProps;
    if (extras.deviceConfigurations.length > 0) p.deviceConfigurations = extras.deviceConfigurations;
    if (extras.unknown) p.$unknown = extras.unknown;
  }
  return p;
}

/** File order for attributes the node was decoded with, then the others sorted by name. */
function attributeOrder(n: Node, fileOrder: readonly string[] | undefined): string[] {
  const known = (fileOrder ?? []).filter((k) => n.attributes.has(k));
  const seen = new Set(known);
  const added = [...n.attributes.keys()].filter((k) => !seen.has(k)).sort();
  return [...known, ...added];
}

/** value_info: decoded entries in file order (still-present values, and foreign entries verbatim), then new ones. */
function valueInfos(g: Graph): ValueInfoProto[] {
  const io = new Set([...g.inputs, ...g.outputs]);
  const done = new Set<Value>();
  const out: ValueInfoProto[] = [];
  for (const item of graphExtras.get(g)?.valueInfo ?? []) {
    if (item instanceof Value) {
      if (g.value(item.name) !== item || io.has(item) || done.has(item)) continue;
      done.add(item);
      out.push(valueInfo(item));
    } else if (!g.value(item.name)) {
      out.push(item);
    }
  }
  for (const v of g.allValues()) {
    if (done.has(v) || io.has(v) || v.constant || !v.producer || v.dtype === undefined) continue;
    out.push(valueInfo(v));
  }
  return out;
}

/** A ValueInfoProto: the decoded type while dtype and shape are unchanged, else one built from the IR. */
function valueInfo(v: Value): ValueInfoProto {
  const extras = valueExtras.get(v);
  const p = create(ValueInfoProtoSchema, { name: v.name });
  const type = extras && extras.dtype === v.dtype && sameShape(extras.shape, v.shape) ? extras.type : typeOf(v);
  if (type) p.type = type;
  if (v.docString) p.docString = v.docString;
  if (extras?.metadataProps.length) p.metadataProps = extras.metadataProps;
  if (extras?.unknown) p.$unknown = extras.unknown;
  return p;
}

/** A tensor type from dtype and shape; none without a dtype (a name-only value_info loads, elem_type 0 does not). */
function typeOf(v: Value): TypeProto | undefined {
  if (v.dtype === undefined) return undefined;
  const tensor = create(TypeProto_TensorSchema, { elemType: dtypeCode(v.dtype) });
  if (v.shape) tensor.shape = create(TensorShapeProtoSchema, { dim: v.shape.map(dimProto) });
  return create(TypeProtoSchema, { value: { case: 'tensorType', value: tensor } });
}

function dimProto(d: Dim): ReturnType<typeof create<typeof TensorShapeProto_DimensionSchema>> {
  if (typeof d === 'number') return create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(d) } });
  if (typeof d === 'string') return create(TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: d } });
  return create(TensorShapeProto_DimensionSchema);
}
