/**
 * The installed entry point picks the compiled CLI or the sources: a stale dist/ in a checkout must not hide commands
 * added to the sources since it was built. Checked on a copy of bin/secateurs.js beside stand-in dist/ and src/ mains.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'secateurs-bin-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function layout(): void {
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(resolve('bin/secateurs.js'), join(root, 'bin', 'secateurs.js'));
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(root, 'dist', 'cli', 'main.js'), "export async function main() { console.log('built'); return 0; }\n");
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), "export async function main(): Promise<number> { console.log('sources'); return 0; }\n");
}
const run = (): string => execFileSync(process.execPath, [join(root, 'bin', 'secateurs.js')], { encoding: 'utf8' }).trim();
const at = (path: string, seconds: number): void => utimesSync(join(root, path), seconds, seconds);

describe('bin/secateurs.js', () => {
  it('runs dist/ when it is newer than every source, the sources when one is newer, dist/ when there are no sources', () => {
    layout();
    at('src/cli/main.ts', 1_000_000);
    at('dist/cli/main.js', 2_000_000);
    expect(run()).toBe('built');
    at('src/cli/main.ts', 3_000_000);   // edited after the build
    expect(run()).toBe('sources');
    rmSync(join(root, 'src'), { recursive: true });   // the published package: dist/ only
    expect(run()).toBe('built');
  });
});
