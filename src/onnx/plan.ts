/**
 * Decisions taken before any bytes are written: dense or sparse form per initializer, inline or side file per tensor
 * (with aligned offsets), and the 2 GiB protobuf limit, checked from byte lengths alone (nothing is read for it).
 */
import type { Graph, Model, Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { onnxError } from './context.js';
import { constantOf, type EncodePlan } from './encode-graph.js';
import { canBeSparse, sparseIfSmaller, toSparse, type SparseParts } from './sparse.js';
import type { ExternalPlacement } from './tensor-codec.js';

/** How initializers are stored: as the model says (`keep`), all dense, or sparse wherever that is smaller (`all`). */
export type SparseMode = 'keep' | 'dense' | 'all';

export interface PlanOptions {
  readonly sparse: SparseMode;
  /** Side-file settings; tensors of at least `threshold` bytes go to `location`. */
  readonly external?: { readonly threshold: number; readonly location: string };
  /** Name for messages. */
  readonly source: string;
}

/** An EncodePlan plus the side-file layout in write order. */
export interface Plan extends EncodePlan {
  readonly layout: readonly { readonly tensor: Tensor; readonly offset: number }[];
  /** Bytes of tensor data that will sit inside the protobuf. */
  readonly inlineBytes: number;
}

/** Protobuf messages cannot exceed 2 GiB. */
export const PROTO_LIMIT = 2 ** 31 - 1;

/** Tensors of a page or more start on a page (the spec's SHOULD, for mmap); smaller ones on 64 bytes. */
function alignment(bytes: number): number {
  return bytes >= 4096 ? 4096 : 64;
}

/** Plans the encoding of a model. */
export function planEncoding(model: Model, opts: PlanOptions): Plan {
  const external = new Map<Tensor, ExternalPlacement>();
  const sparse = new Map<Value, SparseParts>();
  const layout: { tensor: Tensor; offset: number }[] = [];
  let cursor = 0;
  let inlineBytes = 0;
  const place = (t: Tensor): void => {
    const ext = opts.external;
    if (external.has(t)) return;
    if (!ext || t.dtype === 'string' || t.byteLength < ext.threshold || t.byteLength === 0) {
      inlineBytes += t.byteLength;
      return;
    }
    const align = alignment(t.byteLength);
    const offset = Math.ceil(cursor / align) * align;
    external.set(t, { location: ext.location, offset });
    layout.push({ tensor: t, offset });
    cursor = offset + t.byteLength;
  };
  const walk = (g: Graph): void => {
    for (const v of g.initializers) {
      const t = constantOf(v);
      const parts = sparseForm(v, t, g, opts.sparse);
      if (parts) sparse.set(v, parts);
      (parts ? [parts.values, parts.indices] : [t]).forEach(place);
    }
    for (const n of g.nodes) {
      for (const a of n.attributes.values()) {
        if (a.type === 'tensor') inlineBytes += a.value.byteLength;
        else if (a.type === 'tensors') a.value.forEach((t) => { inlineBytes += t.byteLength; });
        else if (a.type === 'graph') walk(a.value);
        else if (a.type === 'graphs') a.value.forEach(walk);
      }
    }
  };
  walk(model.graph);
  if (inlineBytes > PROTO_LIMIT) throw tooLarge(opts.source, inlineBytes, opts.external !== undefined);
  return { external, sparse, layout, inlineBytes };
}

function sparseForm(v: Value, t: Tensor, g: Graph, mode: SparseMode): SparseParts | undefined {
  switch (mode) {
    case 'dense': return undefined;
    case 'keep': return v.storage === 'sparse' && canBeSparse(t.dtype) ? toSparse(t) : undefined;
    case 'all':
      if (v.storage === 'sparse' && canBeSparse(t.dtype)) return toSparse(t);
      return g.inputs.includes(v) ? undefined : sparseIfSmaller(t); // an initializer that is also an input stays dense
  }
}

/** The error for a model too big to be one protobuf. */
export function tooLarge(source: string, bytes: number, external = false): Error {
  const gib = (bytes / 2 ** 30).toFixed(2);
  const fix = external
    ? 'lower externalData.threshold so that more tensors go to the side file'
    : 'save it with saveModel(model, path, { externalData: true }) to put the tensors in a side file';
  return onnxError('ONNX_TOO_LARGE', source, `the model needs ${gib} GiB inside the protobuf, over its 2 GiB limit; ${fix}.`);
}
