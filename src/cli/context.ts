import type { Command } from 'commander';
import type { GlobalOptions } from './output.js';

/** The global options, read from the root command (they may be given before or after the subcommand). */
export function globals(cmd: Command): GlobalOptions {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const g = root.opts<GlobalOptions>();
  const own = cmd.opts<GlobalOptions>();
  return { json: Boolean(g.json || own.json), verbose: Boolean(g.verbose || own.verbose), quiet: Boolean(g.quiet || own.quiet) };
}

/** Progress on stderr unless --json or --quiet asked for silence. */
export function wantProgress(g: GlobalOptions): boolean {
  return !g.json && !g.quiet;
}

/**
 * Runs `work` with Ctrl-C turned into an abort: the first SIGINT aborts the signal (training stops after its current
 * step and writes a checkpoint), a second one kills as usual. When the work fails after an abort, `resumeHint` is
 * printed.
 */
export async function withInterrupt<T>(io: { err(line: string): void }, resumeHint: string | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (): void => {
    io.err('interrupted: finishing the current step and writing a checkpoint (press Ctrl-C again to kill)');
    controller.abort();
    process.removeListener('SIGINT', onSignal);
  };
  process.once('SIGINT', onSignal);
  try {
    return await work(controller.signal);
  } catch (e) {
    if (controller.signal.aborted && resumeHint) io.err(resumeHint);
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}
