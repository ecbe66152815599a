import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadMnist, take, writeNpz, type Dataset, type NpyArray } from '../../src/data/index.js';
import type { Io } from '../../src/cli/output.js';

/** What one CLI invocation printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in-process with captured streams. */
export async function cli(...args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => { out += t.endsWith('\n') ? t : `${t}\n`; }, err: (t) => { err += t.endsWith('\n') ? t : `${t}\n`; }, isTty: false };
  const code = await main(['node', 'secateurs', ...args], io);
  return { code, out, err };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary folder removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'secateurs-cli-'));
  dirs.push(d);
  return d;
}

/** A Keras-style .npz (x_train/y_train/x_test/y_test, uint8 pixels) from the first MNIST images. */
export async function smallMnist(dir: string, nTrain: number, nTest: number): Promise<string> {
  const arrays = (ds: Dataset): [NpyArray, NpyArray] => [
    { dtype: 'uint8', shape: [ds.count, 28, 28], data: Uint8Array.from(ds.x, (v) => Math.round(v * 255)) },
    { dtype: 'int64', shape: [ds.count], data: BigInt64Array.from(ds.y, (v) => BigInt(v)) },
  ];
  const [xtr, ytr] = arrays(take(await loadMnist({ split: 'train' }), nTrain));
  const [xte, yte] = arrays(take(await loadMnist({ split: 'test' }), nTest));
  const file = join(dir, 'small.npz');
  await writeNpz(file, new Map([['x_train', xtr], ['y_train', ytr], ['x_test', xte], ['y_test', yte]]));
  return file;
}

