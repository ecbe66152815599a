#!/usr/bin/env node
// Installed entry point: runs the compiled CLI from dist/ (built by `npm run build`). In a source checkout (src/ is
// there: the published package ships dist/ only) it runs the TypeScript sources through tsx unless dist/ is newer than
// every source file, so a stale build never hides commands added since it was made.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
const sources = join(root, 'src');

/** Newest modification time of the files under `dir`, in ms. */
function newest(dir) {
  let t = 0;
  for (const f of readdirSync(dir, { recursive: true })) {
    const s = statSync(join(dir, String(f)));
    if (s.isFile()) t = Math.max(t, s.mtimeMs);
  }
  return t;
}

const useBuilt = existsSync(built) && (!existsSync(sources) || statSync(built).mtimeMs >= newest(sources));
if (useBuilt) {
  const { main } = await import(pathToFileURL(built).href);
  process.exitCode = await main(process.argv);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import(pathToFileURL(join(sources, 'cli', 'main.ts')).href);
  process.exitCode = await main(process.argv);
}
