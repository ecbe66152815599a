import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * Where decoded datasets are cached, in order of preference:
 * 1. `explicit` (an option), else the `SECATEURS_CACHE_DIR` environment variable: only that folder;
 * 2. otherwise `<project>/.cache/secateurs`, the project being the folder whose `node_modules` holds `pkgDir`;
 * 3. then `<os.tmpdir()>/secateurs-cache`.
 * `false` turns caching off (an empty list).
 */
export function cacheDirs(pkgDir: string, explicit?: string | false): string[] {
  if (explicit === false) return [];
  if (explicit !== undefined) return [explicit];
  const env = process.env['SECATEURS_CACHE_DIR'];
  if (env) return [env];
  const dirs: string[] = [];
  const nodeModules = dirname(pkgDir);
  if (basename(nodeModules) === 'node_modules') dirs.push(join(dirname(nodeModules), '.cache', 'secateurs'));
  dirs.push(join(tmpdir(), 'secateurs-cache'));
  return dirs;
}

/** Returns the first cached copy of `file` that `valid` accepts, with its path; `undefined` when there is none. */
export async function readCached(
  dirs: readonly string[],
  file: string,
  valid: (bytes: Uint8Array) => boolean,
): Promise<{ bytes: Uint8Array; path: string } | undefined> {
  for (const dir of dirs) {
    const path = join(dir, file);
    try {
      const buf = await readFile(path);
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      if (valid(bytes)) return { bytes, path };
    } catch {
      // Absent or unreadable: a cache miss, not an error.
    }
  }
  return undefined;
}

/**
 * Writes `file` into the first writable folder of `dirs` atomically (a uniquely named temporary file, then a
 * rename, so concurrent readers never see half a file). Returns the path written, or `undefined` when no folder
 * was writable: a cache that cannot be written only costs time, so this never throws.
 */
export async function writeCached(
  dirs: readonly string[],
  file: string,
  parts: readonly Uint8Array[],
): Promise<string | undefined> {
  for (const dir of dirs) {
    const path = join(dir, file);
    const tmp = `${path}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(tmp, parts);
      await rename(tmp, path);
      return path;
    } catch {
      await unlink(tmp).catch(() => undefined);
    }
  }
  return undefined;
}
