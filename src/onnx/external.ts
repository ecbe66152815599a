/**
 * External tensor data: safe resolution of `location`s (CVE-2022-25882, CVE-2024-27318: no absolute paths, no
 * escaping the model folder, not even through symlinks), lazy ranged reads, and streamed copies.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TensorProto } from 'onnx-buf';
import { byteLength, type DataType } from '../ir/dtype.js';
import { Tensor } from '../ir/tensor.js';
import { onnxError, type DecodeContext } from './context.js';

/** Where a lazy tensor's bytes are: a real (symlink-free) path and a byte range. Mutable: a save may re-point it. */
export interface ExternalRef {
  path: string;
  offset: number;
  readonly length: number;
}

const refs = new WeakMap<Tensor, ExternalRef>();

/** The external range a still-lazy tensor will read, if it came from this codec. */
export function externalRef(t: Tensor): ExternalRef | undefined {
  return t.isLazy ? refs.get(t) : undefined;
}

/** Why `location` may never be followed, or undefined when it is a plain relative path inside the folder. */
export function locationProblem(location: string): string | undefined {
  if (location === '') return 'an empty location';
  if (location.includes('\0')) return 'a location with a NUL byte';
  if (path.posix.isAbsolute(location) || path.win32.isAbsolute(location) || /^[A-Za-z]:/.test(location)) {
    return `an absolute location '${location}'`;
  }
  let depth = 0;
  for (const seg of location.split(/[\\/]+/)) {
    if (seg === '..') depth--;
    else if (seg !== '.' && seg !== '') depth++;
    if (depth < 0) return `location '${location}', which escapes the model folder`;
  }
  return undefined;
}

/** Checks a location against the model folder and returns its real path and size (cached per context). */
function checkFile(location: string, ctx: DecodeContext, label: string): { readonly path: string; readonly size: number } {
  const cached = ctx.files.get(location);
  if (cached) return cached;
  const pathError = (why: string): Error => onnxError('ONNX_EXTERNAL_PATH', ctx.source, `${label} refers to ${why}; external data must be a file inside the model's folder.`);
  if (ctx.baseDir === undefined) {
    throw onnxError('ONNX_EXTERNAL_PATH', ctx.source, `${label} keeps its data in external file '${location}', but the model was decoded from bytes without a baseDir; pass { baseDir } or use loadModel().`);
  }
  const problem = locationProblem(location);
  if (problem) throw pathError(problem);
  const full = path.resolve(ctx.baseDir, location);
  let stat: fs.Stats;
  let real: string;
  try {
    real = fs.realpathSync(full);
    stat = fs.statSync(real);
  } catch (e) {
    throw onnxError('ONNX_EXTERNAL_MISSING', ctx.source, `${label} keeps its data in '${location}', which does not exist (looked for ${full}).`, e);
  }
  const rel = path.relative(fs.realpathSync(ctx.baseDir), real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw pathError(`location '${location}', which resolves to ${real} outside the model folder`);
  if (!stat.isFile()) throw pathError(`location '${location}', which is not a regular file`);
  const file = { path: real, size: stat.size };
  ctx.files.set(location, file);
  return file;
}

function parseKey(value: string | undefined, key: string, ctx: DecodeContext, label: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw onnxError('ONNX_EXTERNAL_RANGE', ctx.source, `${label}: external data ${key} '${value}' is not a non-negative integer.`);
  return n;
}

/** A lazy tensor over the external range a TensorProto describes; nothing is read until `bytes()`. */
export function decodeExternal(p: TensorProto, dtype: DataType, dims: readonly number[], ctx: DecodeContext, label: string): Tensor {
  if (dtype === 'string') throw onnxError('ONNX_EXTERNAL_PATH', ctx.source, `${label}: string tensors cannot use external data.`);
  const kv = new Map(p.externalData.map((e) => [e.key, e.value]));
  const location = kv.get('location');
  if (location === undefined) throw onnxError('ONNX_EXTERNAL_PATH', ctx.source, `${label} is marked EXTERNAL but has no 'location'.`);
  const file = checkFile(location, ctx, label);
  const offset = parseKey(kv.get('offset'), 'offset', ctx, label) ?? 0;
  const length = parseKey(kv.get('length'), 'length', ctx, label) ?? Math.max(0, file.size - offset);
  if (offset + length > file.size) {
    throw onnxError('ONNX_EXTERNAL_RANGE', ctx.source, `${label}: external bytes [${offset}, ${offset + length}) lie beyond the end of '${location}' (${file.size} bytes).`);
  }
  const want = byteLength(dtype, dims.reduce((a, b) => a * b, 1));
  if (length !== want) {
    throw onnxError('ONNX_TENSOR_SIZE', ctx.source, `${label}: ${dtype} [${dims.join(', ')}] needs ${want} bytes, but its external data in '${location}' has ${length}.`);
  }
  const ref: ExternalRef = { path: file.path, offset, length };
  const describe = `${ctx.source}: ${label} (external data '${location}')`;
  const tensor = new Tensor(dtype, dims, { kind: 'lazy', byteLength: length, describe, read: () => readRange(ref, describe) });
  refs.set(tensor, ref);
  return tensor;
}

const CHUNK = 8 << 20;
let scratch: Uint8Array | undefined;

/** Reads a whole external range into new memory. */
export function readRange(ref: ExternalRef, describe = ref.path): Uint8Array {
  const out = new Uint8Array(ref.length);
  readInto(ref, out, describe);
  return out;
}

/** Reads an external range into `target` (which has exactly `ref.length` bytes), with no intermediate copy. */
export function readInto(ref: ExternalRef, target: Uint8Array, describe = ref.path): void {
  withFile(ref, describe, (fd) => {
    for (let done = 0; done < ref.length;) done += readSome(fd, ref, done, target.subarray(done, done + Math.min(CHUNK * 128, ref.length - done)), describe);
  });
}

/** Appends an external range to an open file through one reused 8 MiB buffer (never the whole range in memory). */
export function copyRange(ref: ExternalRef, fd: number, describe = ref.path): void {
  scratch ??= new Uint8Array(CHUNK);
  const buf = scratch;
  withFile(ref, describe, (src) => {
    for (let done = 0; done < ref.length;) {
      const got = readSome(src, ref, done, buf.subarray(0, Math.min(buf.length, ref.length - done)), describe);
      writeAll(fd, buf.subarray(0, got));
      done += got;
    }
  });
}

function withFile(ref: ExternalRef, describe: string, use: (fd: number) => void): void {
  let fd: number;
  try {
    fd = fs.openSync(ref.path, 'r');
  } catch (e) {
    throw onnxError('ONNX_EXTERNAL_MISSING', describe, `cannot open ${ref.path} (${(e as Error).message}).`, e);
  }
  try {
    use(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function readSome(fd: number, ref: ExternalRef, done: number, into: Uint8Array, describe: string): number {
  const got = fs.readSync(fd, into, 0, into.length, ref.offset + done);
  if (got === 0) throw onnxError('ONNX_EXTERNAL_RANGE', describe, `${ref.path} ended after ${ref.offset + done} bytes; the data changed since the model was loaded.`);
  return got;
}

/** Writes every byte of `bytes` at the file's current position. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length;) {
    off += fs.writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
  }
}

/** Writes a tensor's raw bytes to an open file, streaming lazy external tensors without loading them. */
export function writeTensorBytes(fd: number, t: Tensor): void {
  const ref = externalRef(t);
  if (ref) copyRange(ref, fd);
  else writeAll(fd, t.bytes());
}

/** A tensor's raw bytes without caching lazy data in the tensor (for one-off reads such as sparsity checks). */
export function peekBytes(t: Tensor): Uint8Array {
  const ref = externalRef(t);
  return ref ? readRange(ref) : t.bytes();
}
