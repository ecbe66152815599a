/**
 * AttributeProto <-> IR Attribute, one table row per kind. Kinds the IR does not interpret (sparse tensors, type
 * protos, function attribute references) travel as their encoded AttributeProto ('opaque').
 */
import { create, fromBinary, isFieldSet, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema, AttributeProto_AttributeType as T, type AttributeProto, type GraphProto, type TensorProto,
} from 'onnx-buf';
import type { Attribute, Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { toInt64 } from './context.js';
import { attributeExtras } from './extras.js';

/** What decoding an attribute needs from the graph decoder. */
export interface AttributeDecoders {
  readonly tensor: (p: TensorProto, label: string) => Tensor;
  readonly graph: (p: GraphProto) => Graph;
}

/** What encoding an attribute needs from the graph encoder. */
export interface AttributeEncoders {
  readonly tensor: (t: Tensor) => TensorProto;
  readonly graph: (g: Graph) => GraphProto;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const toUtf8 = new TextEncoder();

type Decoder = (a: AttributeProto, d: AttributeDecoders, label: string) => Attribute | undefined;

const DECODE: Partial<Record<T, Decoder>> = {
  [T.FLOAT]: (a) => ({ type: 'float', value: a.f }),
  [T.INT]: (a) => ({ type: 'int', value: Number(a.i) }),
  [T.STRING]: (a) => text(a.s, (value) => ({ type: 'string', value })),
  [T.TENSOR]: (a, d, label) => (a.t ? { type: 'tensor', value: d.tensor(a.t, label) } : undefined),
  [T.GRAPH]: (a, d) => (a.g ? { type: 'graph', value: d.graph(a.g) } : undefined),
  [T.FLOATS]: (a) => ({ type: 'floats', value: a.floats }),
  [T.INTS]: (a) => ({ type: 'ints', value: a.ints.map(Number) }),
  [T.STRINGS]: (a) => texts(a.strings),
  [T.TENSORS]: (a, d, label) => ({ type: 'tensors', value: a.tensors.map((t, i) => d.tensor(t, `${label}[${i}]`)) }),
  [T.GRAPHS]: (a, d) => ({ type: 'graphs', value: a.graphs.map(d.graph) }),
};

function text(bytes: Uint8Array, make: (s: string) => Attribute): Attribute | undefined {
  try {
    return make(utf8.decode(bytes));
  } catch {
    return undefined; // not UTF-8: keep the bytes as they are (opaque)
  }
}

function texts(list: readonly Uint8Array[]): Attribute | undefined {
  const value: string[] = [];
  for (const s of list) {
    const a = text(s, (v) => ({ type: 'string', value: v }));
    if (!a || a.type !== 'string') return undefined;
    value.push(a.value);
  }
  return { type: 'strings', value };
}

/** The attribute's kind; files from old exporters may leave `type` unset and only fill the value field. */
function kindOf(a: AttributeProto): T {
  if (a.type !== T.UNDEFINED) return a.type;
  const lists: [T, number][] = [[T.FLOATS, a.floats.length], [T.INTS, a.ints.length], [T.STRINGS, a.strings.length], [T.TENSORS, a.tensors.length], [T.GRAPHS, a.graphs.length]];
  const list = lists.find(([, n]) => n > 0);
  if (list) return list[0];
  if (a.t) return T.TENSOR;
  if (a.g) return T.GRAPH;
  if (isFieldSet(a, AttributeProtoSchema.field.s)) return T.STRING;
  if (isFieldSet(a, AttributeProtoSchema.field.i)) return T.INT;
  if (isFieldSet(a, AttributeProtoSchema.field.f)) return T.FLOAT;
  return T.UNDEFINED;
}

/** Decodes one attribute; anything the IR does not model becomes 'opaque'. */
export function decodeAttribute(a: AttributeProto, d: AttributeDecoders, label: string): Attribute {
  const decoder = a.refAttrName ? undefined : DECODE[kindOf(a)];
  const attr = decoder?.(a, d, label) ?? { type: 'opaque', value: toBinary(AttributeProtoSchema, a) };
  if (attr.type === 'opaque') return attr;
  const exact = attr.type === 'int' ? [a.i] : attr.type === 'ints' ? a.ints : [];
  const int64 = exact.some((v) => v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) ? exact : undefined;
  if (a.docString || a.$unknown || int64) attributeExtras.set(attr, { docString: a.docString, unknown: a.$unknown, int64 });
  return attr;
}

function ints(values: readonly number[], exact: readonly bigint[] | undefined, where: string): bigint[] {
  return values.map((v, i) => {
    const original = exact?.[i];
    return original !== undefined && exact!.length === values.length && Number(original) === v ? original : toInt64(v, where);
  });
}

/** Encodes one attribute named `name`, in the same form it was decoded from when it is unchanged. */
export function encodeAttribute(name: string, attr: Attribute, e: AttributeEncoders, where: string): AttributeProto {
  if (attr.type === 'opaque') {
    const p = fromBinary(AttributeProtoSchema, attr.value);
    p.name = name;
    return p;
  }
  const extras = attributeExtras.get(attr);
  const p = create(AttributeProtoSchema, { name, type: T[attr.type.toUpperCase() as keyof typeof T] });
  const at = `${where}, attribute '${name}'`;
  switch (attr.type) {
    case 'float': p.f = attr.value; break;
    case 'int': p.i = ints([attr.value], extras?.int64, at)[0]!; break;
    case 'string': p.s = toUtf8.encode(attr.value) as AttributeProto['s']; break;
    case 'tensor': p.t = e.tensor(attr.value); break;
    case 'graph': p.g = e.graph(attr.value); break;
    case 'floats': p.floats = [...attr.value]; break;
    case 'ints': p.ints = ints(attr.value, extras?.int64, at); break;
    case 'strings': p.strings = attr.value.map((s) => toUtf8.encode(s) as AttributeProto['s']); break;
    case 'tensors': p.tensors = attr.value.map(e.tensor); break;
    case 'graphs': p.graphs = attr.value.map(e.graph); break;
  }
  if (extras?.docString) p.docString = extras.docString;
  if (extras?.unknown) p.$unknown = extras.unknown;
  return p;
}
