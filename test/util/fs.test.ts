import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/util/fs.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('writeFileAtomic', () => {
  it('creates the folder, writes, replaces, and leaves no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secateurs-fs-'));
    dirs.push(dir);
    const file = join(dir, 'a', 'b', 'x.txt');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, new TextEncoder().encode('two'));
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['x.txt']);
  });

  it('fails without leaving anything when the target is a folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secateurs-fs-'));
    dirs.push(dir);
    await expect(writeFileAtomic(dir, 'x')).rejects.toThrow();
    expect(readdirSync(join(dir, '..')).filter((n) => n.startsWith(`${dir.split('/').pop()}.`))).toEqual([]);
  });
});
