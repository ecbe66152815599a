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
