/**
 * Just enough of the protobuf wire format to (a) keep ModelProto fields the IR does not interpret as their exact
 * original bytes, (b) write large tensor payloads straight through without re-encoding them, and (c) say at which
 * byte a malformed file goes wrong (the decoder library only says what, not where).
 */
import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';

/** Protobuf wire types (groups, 3 and 4, are not used by ONNX and are rejected). */
export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

/** A malformed-input finding at byte `pos`. */
export class WireError extends Error {
  constructor(readonly pos: number, message: string) {
    super(message);
  }
}

/** One top-level field record: tag at `start`, payload in [dataStart, end) (after the length prefix for LEN). */
export interface WireField {
  readonly no: number;
  readonly wireType: number;
  readonly start: number;
  readonly dataStart: number;
  readonly end: number;
}

/** Reads a varint at `pos`; returns [value, next position]. Values above 2^53 lose precision (never lengths). */
export function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0, p = pos; i < 10; i++, p++) {
    if (p >= buf.length) throw new WireError(pos, 'varint runs past the end of the input');
    const b = buf[p]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, p + 1];
    scale *= 128;
  }
  throw new WireError(pos, 'varint longer than 10 bytes');
}

/** Splits [start, end) into field records, checking tags and bounds. */
export function scanFields(buf: Uint8Array, start: number, end: number): WireField[] {
  const fields: WireField[] = [];
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = readVarint(buf, pos);
    const no = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (no === 0 || no > 0x1fffffff) throw new WireError(pos, `invalid field number ${no}`);
    let dataStart = afterTag;
    let next: number;
    switch (wireType) {
      case WIRE.VARINT: next = readVarint(buf, afterTag)[1]; break;
      case WIRE.I64: next = afterTag + 8; break;
      case WIRE.I32: next = afterTag + 4; break;
      case WIRE.LEN: {
        const [len, p] = readVarint(buf, afterTag);
        dataStart = p;
        next = p + len;
        if (next > end) throw new WireError(pos, `field ${no} claims ${len} bytes but only ${end - p} remain`);
        break;
      }
      default: throw new WireError(pos, `field ${no} has invalid wire type ${wireType}`);
    }
    if (next > end) throw new WireError(pos, `field ${no} runs past the end of its message`);
    fields.push({ no, wireType, start: pos, dataStart, end: next });
    pos = next;
  }
  return fields;
}

/**
 * Walks a message guided by its schema and returns the first structural problem (bounds, tags, wire types of known
 * fields), with its byte position; undefined when the structure is sound.
 */
export function locateWireError(desc: DescMessage, buf: Uint8Array, start = 0, end = buf.length, path = ''): WireError | undefined {
  let fields: WireField[];
  try {
    fields = scanFields(buf, start, end);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    return new WireError(e.pos, path ? `in ${path}: ${e.message}` : e.message);
  }
  const byNumber = new Map(desc.fields.map((f) => [f.number, f]));
  const counts = new Map<number, number>();
  for (const f of fields) {
    const field = byNumber.get(f.no);
    if (!field) continue;
    const k = counts.get(f.no) ?? 0;
    counts.set(f.no, k + 1);
    const where = `${path ? `${path}.` : ''}${field.name}${field.fieldKind === 'list' ? `[${k}]` : ''}`;
    const allowed = allowedWireTypes(field);
    if (!allowed.includes(f.wireType)) {
      return new WireError(f.start, `${where} has wire type ${f.wireType}, expected ${allowed.join(' or ')}`);
    }
    const child = field.fieldKind === 'message' || (field.fieldKind === 'list' && field.listKind === 'message') ? field.message : undefined;
    if (child) {
      const inner = locateWireError(child, buf, f.dataStart, f.end, where);
      if (inner) return inner;
    }
  }
  return undefined;
}

function allowedWireTypes(field: DescField): number[] {
  if (field.fieldKind === 'message' || field.fieldKind === 'map') return [WIRE.LEN];
  if (field.fieldKind === 'list' && field.listKind === 'message') return [WIRE.LEN];
  const packable = field.fieldKind === 'list' ? [WIRE.LEN] : [];
  const scalar = field.fieldKind === 'enum' || (field.fieldKind === 'list' && field.listKind === 'enum') ? ScalarType.INT32 : field.scalar;
  switch (scalar) {
    case ScalarType.STRING: case ScalarType.BYTES: return [WIRE.LEN];
    case ScalarType.DOUBLE: case ScalarType.FIXED64: case ScalarType.SFIXED64: return [WIRE.I64, ...packable];
    case ScalarType.FLOAT: case ScalarType.FIXED32: case ScalarType.SFIXED32: return [WIRE.I32, ...packable];
    default: return [WIRE.VARINT, ...packable];
  }
}

/** Varint encoding of a non-negative safe integer. */
export function varint(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Byte length of `varint(n)`. */
export function varintSize(n: number): number {
  let size = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

/** Tag and length prefix of a length-delimited field whose payload has `length` bytes. */
export function lenHeader(no: number, length: number): Uint8Array {
  const tag = varint(no * 8 + WIRE.LEN);
  const len = varint(length);
  const out = new Uint8Array(tag.length + len.length);
  out.set(tag, 0);
  out.set(len, tag.length);
  return out;
}

/** Tag of a field with the given wire type. */
export function tag(no: number, wireType: number): Uint8Array {
  return varint(no * 8 + wireType);
}
