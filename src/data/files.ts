import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { SecateursError } from '../errors.js';

/**
 * Reads a whole file, turning "not there" into a `DATA_MISSING` SecateursError that names the file and what it
 * was supposed to hold; other I/O errors are wrapped as `DATA_MISSING` too, with the system error as `cause`.
 */
export async function readDataFile(path: string, what: string): Promise<Uint8Array> {
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(e)})`;
    throw new SecateursError('DATA_MISSING', `${basename(path)}: ${why} at ${path}; expected ${what}.`, { cause: e });
  }
}

/** Formats a shape the way messages print it: `[60000,28,28]`. */
export function fmtShape(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

/** Copies `len` bytes at `offset` into a fresh, aligned ArrayBuffer (typed arrays need aligned offsets). */
export function copyBytes(bytes: Uint8Array, offset: number, len: number): ArrayBuffer {
  const out = new Uint8Array(len);
  out.set(bytes.subarray(offset, offset + len));
  return out.buffer;
}
