import { basename } from 'node:path';
import { SecateursError, throwAll } from '../errors.js';
import { readDataFile } from './files.js';

/** Element types an IDX file can hold (the third magic byte). */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** Typed arrays `readIdx` returns, one per IDX element type. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX file: element type, dimensions (outermost first) and the values in native byte order. */
export interface IdxArray {
  readonly dtype: IdxDtype;
  readonly dims: readonly number[];
  readonly data: IdxData;
}

/** What a caller knows the file must hold; a mismatch is a `DATA_MALFORMED` error naming both. */
export interface IdxExpectation {
  readonly dtype?: IdxDtype;
  /** Expected dimensions; `null` accepts any size for that axis. */
  readonly dims?: readonly (number | null)[];
}

interface IdxTypeInfo {
  readonly code: number;
  readonly bytes: number;
  readonly read: (view: DataView, count: number) => IdxData;
}

/** The IDX element-type table, keyed by name; multi-byte values are big-endian on disk. */
const IDX_TYPES: Readonly<Record<IdxDtype, IdxTypeInfo>> = {
  uint8: { code: 0x08, bytes: 1, read: (v, n) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + n)) },
  int8: { code: 0x09, bytes: 1, read: (v, n) => new Int8Array(v.buffer.slice(v.byteOffset, v.byteOffset + n)) },
  int16: { code: 0x0b, bytes: 2, read: (v, n) => fill(new Int16Array(n), (i) => v.getInt16(2 * i, false)) },
  int32: { code: 0x0c, bytes: 4, read: (v, n) => fill(new Int32Array(n), (i) => v.getInt32(4 * i, false)) },
  float32: { code: 0x0d, bytes: 4, read: (v, n) => fill(new Float32Array(n), (i) => v.getFloat32(4 * i, false)) },
  float64: { code: 0x0e, bytes: 8, read: (v, n) => fill(new Float64Array(n), (i) => v.getFloat64(8 * i, false)) },
};

function fill<T extends Int16Array | Int32Array | Float32Array | Float64Array>(a: T, at: (i: number) => number): T {
  for (let i = 0; i < a.length; i++) a[i] = at(i);
  return a;
}

function typeOfCode(code: number): IdxDtype | undefined {
  return (Object.keys(IDX_TYPES) as IdxDtype[]).find((k) => IDX_TYPES[k].code === code);
}

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

/**
 * Reads an IDX file (the MNIST container: two zero bytes, an element-type byte, a rank byte, big-endian u32
 * dimensions, then big-endian values).
 *
 * @param path - the file to read.
 * @param expect - optional element type and dimensions the file must have.
 * @throws SecateursError `DATA_MISSING` when the file cannot be read, `DATA_MALFORMED` when its bytes disagree
 *   with its header or with `expect` (the message names the file, what was expected and what was found).
 * @example
 * ```ts
 * const labels = await readIdx('t10k-labels-idx1-ubyte', { dtype: 'uint8', dims: [10000] });
 * labels.data[0]; // 7
 * ```
 */
export async function readIdx(path: string, expect?: IdxExpectation): Promise<IdxArray> {
  const what = expect?.dims ? `an IDX file of ${describe(expect.dims, expect.dtype)}` : 'an IDX file';
  const bytes = await readDataFile(path, what);
  return parseIdx(bytes, basename(path), expect);
}

/**
 * Decodes IDX bytes already in memory; `name` is used in error messages.
 *
 * @example
 * ```ts
 * const a = parseIdx(new Uint8Array([0, 0, 0x08, 1, 0, 0, 0, 2, 7, 9]), 'tiny');
 * a.dims; // [2]
 * ```
 */
export function parseIdx(bytes: Uint8Array, name: string, expect?: IdxExpectation): IdxArray {
  const bad = (msg: string): SecateursError => new SecateursError('DATA_MALFORMED', `${name}: ${msg}`);
  if (bytes.length < 4) throw bad(`expected at least 4 bytes of IDX header, found ${bytes.length}.`);
  const [z0, z1, code, rank] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (z0 !== 0 || z1 !== 0) {
    const gz = z0 === 0x1f && z1 === 0x8b ? ' (this looks gzip-compressed: gunzip it first)' : '';
    throw bad(`not an IDX file: expected magic bytes 0x00 0x00, found ${hex(z0)} ${hex(z1)}${gz}.`);
  }
  const dtype = typeOfCode(code);
  if (dtype === undefined) {
    const known = (Object.keys(IDX_TYPES) as IdxDtype[]).map((k) => `${hex(IDX_TYPES[k].code)} ${k}`).join(', ');
    throw bad(`unknown IDX element type ${hex(code)}; expected one of ${known}.`);
  }
  const headerLen = 4 + 4 * rank;
  if (bytes.length < headerLen) {
    throw bad(`expected ${headerLen} header bytes for a rank-${rank} IDX file, found ${bytes.length}.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  checkExpectation(name, dtype, dims, expect);
  const info = IDX_TYPES[dtype];
  const count = dims.reduce((a, b) => a * b, 1);
  const want = headerLen + count * info.bytes;
  if (bytes.length !== want) {
    throw bad(`expected ${want} bytes for ${describe(dims, dtype)}, found ${bytes.length}.`);
  }
  const body = new DataView(bytes.buffer, bytes.byteOffset + headerLen, count * info.bytes);
  return { dtype, dims, data: info.read(body, count) };
}

function describe(dims: readonly (number | null)[], dtype: IdxDtype | undefined): string {
  const d = dims.length === 0 ? 'scalar' : dims.map((v) => (v === null ? '?' : String(v))).join('x');
  return dtype ? `${d} ${dtype}` : d;
}

function checkExpectation(name: string, dtype: IdxDtype, dims: number[], expect?: IdxExpectation): void {
  if (!expect) return;
  const problems: string[] = [];
  if (expect.dtype !== undefined && expect.dtype !== dtype) {
    problems.push(`expected ${expect.dtype} elements, found ${dtype}`);
  }
  const want = expect.dims;
  if (want !== undefined) {
    const same = want.length === dims.length && want.every((d, i) => d === null || d === dims[i]);
    if (!same) problems.push(`expected dimensions ${describe(want, undefined)}, found ${describe(dims, undefined)}`);
  }
  throwAll('DATA_MALFORMED', name, problems);
}
