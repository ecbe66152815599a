/**
 * Worker threads for sweeps. From compiled JavaScript (dist/) a worker starts from its .js file directly. From the
 * TypeScript sources (tsx, vitest) it cannot: on Node 20 a Worker does not pick up tsx's `--import tsx` hooks for
 * its entry module, even with `execArgv: ['--import', 'tsx']` (measured: "Unknown file extension .ts"). So a source
 * worker starts from a two-line module that registers tsx's ESM hooks in the worker itself
 * (`register()` of the `tsx/esm/api` export, located through tsx's package.json) and then imports the .ts entry.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SecateursError } from '../../errors.js';

/** The file URL of tsx's ESM registration API (`tsx/esm/api`, import condition). */
export function tsxEsmApi(): string {
  const req = createRequire(import.meta.url);
  let pkgPath: string;
  try {
    pkgPath = req.resolve('tsx/package.json');
  } catch (e) {
    throw new SecateursError('PRUNE_WORKER', `running worker threads from TypeScript sources needs 'tsx' (a devDependency); build with 'npm run build' and run from dist/, or pass workers: 0.`, { cause: e });
  }
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, { import?: string | { default?: string } }> };
  const entry = pkg.exports?.['./esm/api']?.import;
  const rel = typeof entry === 'string' ? entry : entry?.default;
  if (!rel) throw new SecateursError('PRUNE_WORKER', `tsx at ${dirname(pkgPath)} exports no 'tsx/esm/api'; cannot start TypeScript workers.`);
  return pathToFileURL(join(dirname(pkgPath), rel)).href;
}

/**
 * Starts a worker on `entry`: directly for a .js file, through tsx's hooks for a .ts file.
 *
 * @example
 * ```ts
 * const w = spawnWorker(new URL('./worker.ts', import.meta.url), { hello: 1 });
 * ```
 */
export function spawnWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const code = `import(${JSON.stringify(tsxEsmApi())}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

/** The sibling module `name` of this file, with this file's extension (.ts from sources, .js from dist/). */
export function siblingModule(name: string): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, import.meta.url);
}

/** How {@link runJobs} talks to workers. Messages follow `{ type: 'ready' | 'result' | 'error' }`. */
export interface JobSpec<Job, Ready, Result> {
  readonly entry: URL;
  readonly workerData: unknown;
  readonly workers: number;
  readonly jobs: readonly Job[];
  /** The message for a job and the buffers to transfer with it. */
  readonly message: (job: Job, id: number) => { readonly message: unknown; readonly transfer: ArrayBuffer[] };
  readonly onReady?: (ready: Ready) => void;
  readonly onResult: (job: Job, result: Result) => void;
}

type Incoming<Ready, Result> =
  | ({ type: 'ready' } & Ready)
  | { type: 'result'; id: number; metrics: Result }
  | { type: 'error'; message: string };

/**
 * Runs jobs on up to `workers` threads, one job per worker at a time, in order of submission. Resolves when all are
 * done and every worker has exited; the first failure terminates all workers and rejects.
 *
 * @throws SecateursError `PRUNE_WORKER` with the worker's message.
 */
export async function runJobs<Job, Ready, Result>(spec: JobSpec<Job, Ready, Result>): Promise<void> {
  const count = Math.min(spec.workers, spec.jobs.length);
  if (count === 0) return;
  let next = 0;
  let done = 0;
  const all: Worker[] = [];
  await new Promise<void>((resolve, reject) => {
    let live = count;
    const fail = (message: string, cause?: unknown): void => {
      for (const w of all) void w.terminate();
      reject(new SecateursError('PRUNE_WORKER', `sensitivity worker failed: ${message}`, { cause }));
    };
    const feed = (w: Worker): void => {
      if (next >= spec.jobs.length) { w.postMessage({ type: 'close' }); return; }
      const id = next++;
      const { message, transfer } = spec.message(spec.jobs[id]!, id);
      w.postMessage(message, transfer);
    };
    for (let i = 0; i < count; i++) {
      const w = spawnWorker(spec.entry, spec.workerData);
      all.push(w);
      w.on('message', (m: Incoming<Ready, Result>) => {
        if (m.type === 'error') return fail(m.message);
        try {
          if (m.type === 'ready') spec.onReady?.(m);
          else { spec.onResult(spec.jobs[m.id]!, m.metrics); done++; }
          feed(w);
        } catch (e) {
          fail((e as Error).message, e);
        }
      });
      w.on('error', (e) => fail(e.message, e));
      w.on('exit', (code) => {
        if (--live > 0) return;
        if (done === spec.jobs.length) resolve();
        else fail(`workers exited (last code ${code}) with ${spec.jobs.length - done} of ${spec.jobs.length} jobs unfinished`);
      });
    }
  });
}
