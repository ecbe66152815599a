import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { SecateursError } from '../errors.js';
import { copyBytes, readDataFile } from './files.js';
import {
  HOST_LITTLE_ENDIAN, NPY_DTYPES, descrOf, parseDescr, supportedDescrs, swapBytes,
} from './npy-dtypes.js';
import type { NpyArray, NpyDtype } from './npy-dtypes.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ALIGN = 64;

interface NpyHeader {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: number[];
  readonly dataOffset: number;
}

/**
 * Decodes the bytes of a `.npy` file (format versions 1.0, 2.0 and 3.0; C order; the element types of
 * {@link NpyDtype}, either byte order: big-endian data is converted to native order). `name` is used in errors.
 *
 * @throws SecateursError `DATA_MALFORMED` (bad magic, header or length), `DATA_UNSUPPORTED` (Fortran order,
 *   structured, string, complex or object dtypes).
 * @example
 * ```ts
 * const a = decodeNpy(encodeNpy({ dtype: 'int32', shape: [3], data: new Int32Array([1, 2, 3]) }), 'a.npy');
 * a.shape; // [3]
 * ```
 */
export function decodeNpy(bytes: Uint8Array, name: string): NpyArray {
  const h = parseHeader(bytes, name);
  const descr = parseDescr(h.descr);
  if (!descr) {
    throw new SecateursError('DATA_UNSUPPORTED',
      `${name}: unsupported dtype '${h.descr}'; supported: ${supportedDescrs()} (either byte order).`);
  }
  if (h.fortranOrder && h.shape.length > 1) {
    throw new SecateursError('DATA_UNSUPPORTED', `${name}: array of shape (${h.shape.join(', ')}) is stored in ` +
      `Fortran order; only C order is read. Save it with np.save(path, np.ascontiguousarray(a)).`);
  }
  const info = NPY_DTYPES[descr.dtype];
  const count = h.shape.reduce((a, b) => a * b, 1);
  const want = count * info.bytes;
  const found = bytes.length - h.dataOffset;
  if (found !== want) {
    throw new SecateursError('DATA_MALFORMED', `${name}: expected ${want} data bytes for shape ` +
      `(${h.shape.join(', ')}) of '${h.descr}', found ${found}.`);
  }
  const buf = copyBytes(bytes, h.dataOffset, want);
  if (descr.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(new Uint8Array(buf), info.bytes);
  return { dtype: descr.dtype, shape: h.shape, data: info.make(buf) } as NpyArray;
}

function parseHeader(bytes: Uint8Array, name: string): NpyHeader {
  const bad = (msg: string): SecateursError => new SecateursError('DATA_MALFORMED', `${name}: ${msg}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw bad('not a .npy file: expected it to start with "\\x93NUMPY".');
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3) throw bad(`unsupported .npy format version ${major}.${minor}; expected 1.0, 2.0 or 3.0.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major > 1 && bytes.length < 12) {
    throw bad(`expected a 12-byte preamble for version ${major}.0, found ${bytes.length} bytes.`);
  }
  const start = major === 1 ? 10 : 12;
  const len = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (bytes.length < start + len) throw bad(`header says ${len} bytes, but only ${bytes.length - start} follow.`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + len));
  return { ...parseDict(text, name), dataOffset: start + len };
}

/** Reads the three keys of numpy's header, a Python dict literal such as `{'descr': '<f4', ...}`. */
function parseDict(text: string, name: string): Omit<NpyHeader, 'dataOffset'> {
  const bad = (msg: string): SecateursError => new SecateursError('DATA_MALFORMED', `${name}: ${msg}`);
  const key = (k: string, value: string): RegExpExecArray | null =>
    new RegExp(`['"]${k}['"]\\s*:\\s*${value}`).exec(text);
  if (/['"]descr['"]\s*:\s*\[/.test(text)) {
    throw new SecateursError('DATA_UNSUPPORTED', `${name}: structured dtypes are not supported ` +
      `(header ${text.trim()}); save each field as its own array.`);
  }
  const descr = key('descr', `(['"])(.*?)\\1`)?.[2];
  const fortran = key('fortran_order', '(True|False)')?.[1];
  const shapeText = key('shape', '\\(([^)]*)\\)')?.[1];
  const missing = [descr === undefined && "'descr'", fortran === undefined && "'fortran_order'",
    shapeText === undefined && "'shape'"].filter((m): m is string => m !== false);
  if (missing.length > 0) throw bad(`header ${JSON.stringify(text.trim())} lacks ${missing.join(', ')}.`);
  const parts = (shapeText ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = parts.map((s) => (/^\d+L?$/.test(s) ? Number.parseInt(s, 10) : Number.NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) throw bad(`malformed shape (${shapeText ?? ''}) in header.`);
  return { descr: descr ?? '', fortranOrder: fortran === 'True', shape };
}

/**
 * Encodes an array as `.npy` bytes: format 1.0 (2.0 when the header would not fit), little-endian, C order, the
 * header padded with spaces and a newline so the data starts on a 64-byte boundary, as numpy writes it.
 *
 * @throws TypeError when `data` is not the typed array of `dtype`; RangeError when `shape` does not match its length.
 * @example
 * ```ts
 * const bytes = encodeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
 * bytes.length; // 152 (a 128-byte header, then 24 bytes of data)
 * ```
 */
export function encodeNpy(array: NpyArray): Uint8Array {
  checkArray(array);
  const { dtype, shape } = array;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descrOf(dtype)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const padTo = (pre: number): number => Math.ceil((pre + dict.length + 1) / ALIGN) * ALIGN;
  const v1 = padTo(10) - 10 <= 0xffff;
  const pre = v1 ? 10 : 12;
  const padded = padTo(pre);
  const header = dict + ' '.repeat(padded - pre - dict.length - 1) + '\n';
  const data = array.data;
  const out = new Uint8Array(padded + data.byteLength);
  out.set(MAGIC);
  out[6] = v1 ? 1 : 2;
  const view = new DataView(out.buffer);
  if (v1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  const body = out.subarray(padded);
  body.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!HOST_LITTLE_ENDIAN) swapBytes(body, NPY_DTYPES[dtype].bytes);
  return out;
}

/** Checks that an array's parts agree: TypeError for the wrong typed array, RangeError for a bad shape. */
export function checkArray(array: NpyArray): void {
  const dtype: NpyDtype = array.dtype;
  const info = NPY_DTYPES[dtype] as (typeof NPY_DTYPES)[NpyDtype] | undefined;
  if (!info) throw new TypeError(`'dtype' must be one of ${Object.keys(NPY_DTYPES).join(', ')}; got '${dtype}'.`);
  if (!info.is(array.data)) {
    throw new TypeError(`'data' of a ${dtype} array must be a ${info.make(new ArrayBuffer(0)).constructor.name}, ` +
      `got ${Object.prototype.toString.call(array.data).slice(8, -1)}.`);
  }
  const bad = array.shape.find((d) => !Number.isSafeInteger(d) || d < 0);
  if (bad !== undefined) throw new RangeError(`'shape' dimensions must be integers in [0, 2^53), got ${bad}.`);
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) {
    throw new RangeError(
      `'shape' [${array.shape.join(',')}] holds ${count} values but 'data' has ${array.data.length}.`);
  }
}

/**
 * Reads a `.npy` file. See {@link decodeNpy} for what is supported.
 *
 * @example
 * ```ts
 * const a = await readNpy('weights.npy');
 * ```
 */
export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await readDataFile(path, 'a .npy array'), basename(path));
}

/**
 * Writes an array as a `.npy` file that `numpy.load` reads. See {@link encodeNpy}.
 *
 * @example
 * ```ts
 * await writeNpy('y.npy', { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, 2n]) });
 * ```
 */
export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await writeFile(path, encodeNpy(array));
}
