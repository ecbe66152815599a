/**
 * ModelProto <-> IR Model, in memory. The encoder produces a list of chunks (protobuf pieces and tensors whose raw
 * bytes go straight through), so the big payloads are copied once, or streamed to a file without being gathered.
 */
import { clearField, create, fromBinary, isFieldSet, toBinary } from '@bufbuild/protobuf';
import {
  GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema, SparseTensorProtoSchema, TensorProtoSchema,
  type ModelProto,
} from 'onnx-buf';
import { throwAll } from '../errors.js';
import type { Model } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { decodeContext, onnxError } from './context.js';
import { decodeGraph } from './decode-graph.js';
import { externalRef, readInto } from './external.js';
import { constantOf, encodeGraph, sparseProto } from './encode-graph.js';
import { planEncoding, PROTO_LIMIT, tooLarge, type Plan, type SparseMode } from './plan.js';
import { entry, tensorHeader } from './tensor-codec.js';
import { lenHeader, locateWireError, scanFields, tag, WIRE } from './wire.js';

/** Options of `decodeModel`. */
export interface DecodeOptions {
  /** Folder that external data locations are relative to; without it, external data is refused. */
  readonly baseDir?: string;
  /** File name used in messages (default '<bytes>'). */
  readonly source?: string;
}

/** Options of `encodeModel`. */
export interface EncodeOptions {
  /** Initializer storage: as each value's `storage` says (default), all dense, or sparse wherever smaller. */
  readonly sparse?: SparseMode;
  /** File name used in messages. */
  readonly source?: string;
}

/** A piece of encoded output: protobuf bytes, or a tensor whose raw bytes are written as they are. */
export type Chunk = Uint8Array | Tensor;

const F = ModelProtoSchema.field;
/** ModelProto fields the IR interprets; every other field is kept in `model.preserved`. */
const INTERPRETED = new Set([F.irVersion, F.opsetImport, F.producerName, F.producerVersion, F.domain, F.modelVersion, F.docString, F.graph, F.metadataProps].map((f) => f.number));

/**
 * Decodes the bytes of an .onnx file. Tensor data is shared with `bytes` (not copied): do not modify them afterwards.
 *
 * @example
 * ```ts
 * const model = decodeModel(fs.readFileSync('model.onnx'), { baseDir: '.', source: 'model.onnx' });
 * model.graph.nodes.length;
 * ```
 */
export function decodeModel(bytes: Uint8Array, opts: DecodeOptions = {}): Model {
  const source = opts.source ?? '<bytes>';
  const buf = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength); // a Buffer's subarray would be a Buffer
  const proto = parse(buf, source);
  checkIsModel(proto, source);
  const ctx = decodeContext(source, opts.baseDir);
  const graph = decodeGraph(proto.graph!, ctx);
  throwAll('ONNX_INVALID', source, ctx.problems);
  return {
    irVersion: Number(proto.irVersion),
    opsets: new Map(proto.opsetImport.map((o) => [o.domain, Number(o.version)])),
    producerName: proto.producerName,
    producerVersion: proto.producerVersion,
    domain: proto.domain,
    modelVersion: Number(proto.modelVersion),
    docString: proto.docString,
    metadata: new Map(proto.metadataProps.map((e) => [e.key, e.value])),
    graph,
    preserved: scanFields(buf, 0, buf.length)
      .filter((f) => !INTERPRETED.has(f.no))
      .map((f) => ({ field: f.no, wireType: f.wireType, bytes: buf.slice(f.dataStart, f.end) })),
  };
}

function parse(buf: Uint8Array, source: string): ModelProto {
  try {
    return fromBinary(ModelProtoSchema, buf);
  } catch (e) {
    const where = locateWireError(ModelProtoSchema, buf);
    const detail = where ? ` at byte ${where.pos}: ${where.message}` : `: ${(e as Error).message}`;
    throw onnxError('ONNX_MALFORMED', source, `not a valid ONNX model (protobuf decode failed${detail}).`, e);
  }
}

function checkIsModel(p: ModelProto, source: string): void {
  const problems: string[] = [];
  if (p.irVersion <= 0n) problems.push('ir_version is missing');
  if (p.opsetImport.length === 0) problems.push('opset_import is empty');
  if (!p.graph) problems.push('it has no graph');
  else if (p.graph.node.length === 0 && p.graph.output.length === 0) problems.push('its graph is empty');
  if (problems.length > 0) throw onnxError('ONNX_NOT_A_MODEL', source, `not an ONNX model: ${problems.join(', ')}.`);
}

/**
 * Encodes a model into .onnx bytes, all tensors inline. Deterministic: the same model gives the same bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeModel(model);
 * decodeModel(bytes).graph.nodes.length === model.graph.nodes.length; // true
 * ```
 */
export function encodeModel(model: Model, opts: EncodeOptions = {}): Uint8Array {
  const source = opts.source ?? '<model>';
  const plan = planEncoding(model, { sparse: opts.sparse ?? 'keep', source });
  return concatChunks(modelChunks(model, plan, source));
}

/** The encoded model as chunks; throws ONNX_TOO_LARGE when the protobuf would pass 2 GiB. */
export function modelChunks(model: Model, plan: Plan, source: string): Chunk[] {
  // Fields are written in field-number order (as onnx and PyTorch do), so an unchanged file re-encodes identically.
  const before = create(ModelProtoSchema, { irVersion: BigInt(model.irVersion) });
  if (model.producerName) before.producerName = model.producerName;
  if (model.producerVersion) before.producerVersion = model.producerVersion;
  if (model.domain) before.domain = model.domain;
  if (model.modelVersion) before.modelVersion = BigInt(model.modelVersion);
  if (model.docString) before.docString = model.docString;
  const after = create(ModelProtoSchema);
  after.opsetImport = [...model.opsets].map(([domain, version]) => create(OperatorSetIdProtoSchema, domain ? { domain, version: BigInt(version) } : { version: BigInt(version) }));
  after.metadataProps = [...model.metadata].map(([k, v]) => entry(k, v));
  const graph = graphChunks(model, plan);
  const graphLength = graph.reduce((a, c) => a + c.byteLength, 0);
  const chunks: Chunk[] = [toBinary(ModelProtoSchema, before), lenHeader(F.graph.number, graphLength), ...graph, toBinary(ModelProtoSchema, after)];
  for (const p of model.preserved) {
    const wireType = p.wireType ?? WIRE.LEN;
    chunks.push(wireType === WIRE.LEN ? lenHeader(p.field, p.bytes.length) : tag(p.field, wireType), p.bytes);
  }
  const total = chunks.reduce((a, c) => a + c.byteLength, 0);
  if (total > PROTO_LIMIT) throw tooLarge(source, total);
  return chunks;
}

/** The top-level GraphProto: nodes and name (fields 1-2), initializers (5), then the rest (10+). */
function graphChunks(model: Model, plan: Plan): Chunk[] {
  const rest = encodeGraph(model.graph, plan, true);
  const head = create(GraphProtoSchema, { node: rest.node });
  if (isFieldSet(rest, GraphProtoSchema.field.name)) head.name = rest.name;
  rest.node = [];
  clearField(rest, GraphProtoSchema.field.name);
  return [toBinary(GraphProtoSchema, head), ...initializerChunks(model, plan), toBinary(GraphProtoSchema, rest)];
}

/** Top-level initializers as GraphProto fields 5 (dense) and 15 (sparse); dense raw bytes are left as tensors. */
function initializerChunks(model: Model, plan: Plan): Chunk[] {
  const out: Chunk[] = [];
  for (const v of model.graph.initializers) {
    const parts = plan.sparse.get(v);
    if (parts) {
      const b = toBinary(SparseTensorProtoSchema, sparseProto(v, parts, plan));
      out.push(lenHeader(GraphProtoSchema.field.sparseInitializer.number, b.length), b);
      continue;
    }
    const t = constantOf(v);
    const ext = plan.external.get(t);
    const header = toBinary(TensorProtoSchema, tensorHeader(t, v.name, ext));
    const field = GraphProtoSchema.field.initializer.number;
    if (ext || t.dtype === 'string' || t.byteLength === 0) {
      out.push(lenHeader(field, header.length), header);
    } else {
      const raw = lenHeader(TensorProtoSchema.field.rawData.number, t.byteLength);
      out.push(lenHeader(field, header.length + raw.length + t.byteLength), header, raw, t);
    }
  }
  return out;
}

/** Gathers chunks into one buffer (lazy tensors are read straight into it, not cached). */
export function concatChunks(chunks: readonly Chunk[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    if (c instanceof Tensor) {
      const ref = externalRef(c);
      if (ref) readInto(ref, out.subarray(at, at + c.byteLength));
      else out.set(c.bytes(), at);
    } else {
      out.set(c, at);
    }
    at += c.byteLength;
  }
  return out;
}
