/**
 * Side tables for proto fields the IR does not model (graph quantization annotations, metadata props, node overloads,
 * denotations, fields from newer ONNX versions, ...). They are keyed by the IR objects the decoder created, so an
 * object that survives an edit unchanged re-emits them on save, and anything a pass creates simply has none. Keeping
 * them here, not in the IR, keeps the IR free of protobuf types.
 */
import type { UnknownField } from '@bufbuild/protobuf';
import type {
  GraphProto, NodeProto, StringStringEntryProto, TensorProto, TypeProto, ValueInfoProto,
} from 'onnx-buf';
import type { Attribute, Dim, Graph, Node, Value } from '../ir/graph.js';
import type { DataType } from '../ir/dtype.js';
import type { Tensor } from '../ir/tensor.js';

export interface GraphExtras {
  readonly quantizationAnnotation: GraphProto['quantizationAnnotation'];
  readonly metadataProps: StringStringEntryProto[];
  readonly unknown: UnknownField[] | undefined;
  /** value_info in file order: local values, or the entry itself when it names no local value (kept verbatim). */
  readonly valueInfo: readonly (Value | ValueInfoProto)[];
}

export interface NodeExtras {
  readonly overload: string;
  readonly metadataProps: StringStringEntryProto[];
  readonly deviceConfigurations: NodeProto['deviceConfigurations'];
  readonly unknown: UnknownField[] | undefined;
  /** Attribute names in file order. */
  readonly attributeOrder: readonly string[];
}

export interface ValueExtras {
  /** The decoded type, re-emitted as is while dtype and shape still match `dtype`/`shape` below. */
  readonly type: TypeProto | undefined;
  readonly dtype: DataType | undefined;
  readonly shape: readonly Dim[] | undefined;
  readonly metadataProps: StringStringEntryProto[];
  readonly unknown: UnknownField[] | undefined;
}

export interface TensorExtras {
  /** The TensorProto's own name (used for tensors in attributes; initializers take their Value's name). */
  readonly name: string;
  readonly docString: string;
  readonly metadataProps: StringStringEntryProto[];
  readonly unknown: UnknownField[] | undefined;
}

export interface AttributeExtras {
  readonly docString: string;
  readonly unknown: UnknownField[] | undefined;
  /** Exact int64 values when some were beyond 2^53 (reused while the JS numbers still match). */
  readonly int64: readonly bigint[] | undefined;
}

export const graphExtras = new WeakMap<Graph, GraphExtras>();
export const nodeExtras = new WeakMap<Node, NodeExtras>();
export const valueExtras = new WeakMap<Value, ValueExtras>();
export const tensorExtras = new WeakMap<Tensor, TensorExtras>();
export const attributeExtras = new WeakMap<Attribute, AttributeExtras>();

/**
 * Extras of a decoded TensorProto, or undefined when it has none worth keeping. Side-table entries are not free (V8
 * walks WeakMap entries at every GC), so only what cannot be rebuilt from the IR is stored.
 */
export function pickTensorExtras(p: TensorProto, keepName: boolean): TensorExtras | undefined {
  if (!(keepName && p.name) && !p.docString && p.metadataProps.length === 0 && !p.$unknown) return undefined;
  return { name: keepName ? p.name : '', docString: p.docString, metadataProps: p.metadataProps, unknown: p.$unknown };
}

/** True when a value_info type is a plain tensor type that encoding the IR dtype and shape reproduces exactly. */
export function isPlainTensorType(type: TypeProto | undefined, known: boolean): boolean {
  if (!type) return true;
  if (type.value.case !== 'tensorType' || type.denotation || type.$unknown || !known) return false;
  const t = type.value.value;
  if (t.$unknown) return false;
  if (!t.shape) return true;
  return !t.shape.$unknown && t.shape.dim.every((d) => !d.denotation && !d.$unknown);
}

/** Same dims, element by element. */
export function sameShape(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
