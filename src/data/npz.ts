import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { SecateursError } from '../errors.js';
import { readDataFile } from './files.js';
import { decodeNpy, encodeNpy } from './npy.js';
import type { NpyArray } from './npy-dtypes.js';

/** The arrays of an `.npz` archive, by key (the member name without `.npy`), in archive order. */
export type NpzArrays = Map<string, NpyArray>;

/** Options of {@link encodeNpz} and {@link writeNpz}. */
export interface NpzWriteOptions {
  /** Deflate the members, like `np.savez_compressed`; default `false` (stored, like `np.savez`). */
  readonly compress?: boolean;
}

/** What {@link decodeNpz} decoded, plus every key the archive holds (decoded or not). */
export interface NpzContents {
  readonly arrays: NpzArrays;
  readonly keys: readonly string[];
}

// DOS timestamps cannot be left out; a fixed one keeps archives byte-identical for identical arrays.
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/**
 * Decodes the bytes of an `.npz` archive (a zip of `.npy` members, stored or deflated; what `np.savez` and
 * `np.savez_compressed` write). Members whose names do not end in `.npy` are ignored. With `only`, just those
 * keys are decompressed and decoded (absent ones are simply not in `arrays`; compare with `keys`).
 *
 * @throws SecateursError `DATA_MALFORMED` when the bytes are not a zip archive or a member is not a valid `.npy`.
 * @example
 * ```ts
 * const bytes = encodeNpz({ a: { dtype: 'uint8', shape: [1], data: new Uint8Array([7]) } });
 * decodeNpz(bytes, 'mem.npz').keys; // ['a']
 * ```
 */
export function decodeNpz(bytes: Uint8Array, name: string, only?: readonly string[]): NpzContents {
  const keys: string[] = [];
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, {
      filter: (f) => {
        if (!f.name.endsWith('.npy')) return false;
        const key = f.name.slice(0, -4);
        keys.push(key);
        return only === undefined || only.includes(key);
      },
    });
  } catch (e) {
    throw new SecateursError('DATA_MALFORMED',
      `${name}: not a readable .npz (zip) archive: ${e instanceof Error ? e.message : String(e)}.`, { cause: e });
  }
  const arrays: NpzArrays = new Map();
  for (const [member, data] of Object.entries(members)) {
    arrays.set(member.slice(0, -4), decodeNpy(data, `${name}/${member}`));
  }
  return { arrays, keys };
}

/**
 * Encodes arrays as an `.npz` archive that `np.load` reads; each key becomes member `<key>.npy`. The output is
 * deterministic: the same arrays give the same bytes.
 *
 * @throws TypeError / RangeError as {@link encodeNpy}; RangeError for an empty key.
 * @example
 * ```ts
 * const bytes = encodeNpz({ x: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } }, { compress: true });
 * ```
 */
export function encodeNpz(
  arrays: Readonly<Record<string, NpyArray>> | ReadonlyMap<string, NpyArray>,
  options: NpzWriteOptions = {},
): Uint8Array {
  const entries = arrays instanceof Map ? [...arrays.entries()] : Object.entries(arrays);
  const files: Zippable = {};
  for (const [key, array] of entries) {
    if (key.length === 0) throw new RangeError(`.npz keys must be non-empty strings.`);
    files[`${key}.npy`] = encodeNpy(array);
  }
  return zipSync(files, { level: options.compress ? 6 : 0, mtime: FIXED_MTIME });
}

/**
 * Reads every array of an `.npz` file.
 *
 * @example
 * ```ts
 * const arrays = await readNpz('mnist.npz');
 * arrays.get('x_train')?.shape; // [60000, 28, 28]
 * ```
 */
export async function readNpz(path: string): Promise<NpzArrays> {
  return decodeNpz(await readDataFile(path, 'an .npz archive'), basename(path)).arrays;
}

/**
 * Writes arrays as an `.npz` file. See {@link encodeNpz}.
 *
 * @example
 * ```ts
 * await writeNpz('data.npz', { x, y }, { compress: true });
 * ```
 */
export async function writeNpz(
  path: string,
  arrays: Readonly<Record<string, NpyArray>> | ReadonlyMap<string, NpyArray>,
  options: NpzWriteOptions = {},
): Promise<void> {
  await writeFile(path, encodeNpz(arrays, options));
}
