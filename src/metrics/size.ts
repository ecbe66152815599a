import { gzipSync } from 'node:zlib';
import type { FileSizes } from './types.js';

/**
 * Raw and gzip sizes of an encoded model (node:zlib, level 9). Gzip is how unstructured sparsity shows up on disk:
 * runs of zero weights compress.
 *
 * @example
 * ```ts
 * fileSizes(new Uint8Array(1000));   // { raw: 1000, gzip: 29 }
 * fileSizes(encodeModel(model));      // the model as saved
 * ```
 */
export function fileSizes(bytes: Uint8Array): FileSizes {
  return { raw: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength };
}
