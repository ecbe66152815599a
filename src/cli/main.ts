import { Command, CommanderError } from 'commander';
import { classify, EXIT } from './exit.js';
import { processIo, type Io } from './output.js';
import { registerInspect } from './commands/inspect.js';
import { registerEval } from './commands/eval.js';
import { registerBench } from './commands/bench.js';
import { registerCompare } from './commands/compare.js';
import { registerZoo } from './commands/zoo.js';
import { registerDemo } from './commands/demo.js';
import { registerTrain } from './commands/train.js';
import { registerGroups } from './commands/groups.js';
import { registerSensitivity } from './commands/sensitivity.js';
import { registerPrune } from './commands/prune.js';
import { registerLottery } from './commands/lottery.js';
import { registerQuantize } from './commands/quantize.js';
import { registerExport } from './commands/export.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';

/** Builds the `secateurs` command tree. Commands only parse and print; the work is library calls. */
export function buildProgram(io: Io): Command {
  const program = new Command('secateurs')
    .description('Prune, fine-tune and compress ONNX models; every command reports size, parameters, MACs, accuracy and latency.')
    .option('--json', 'print one JSON document on stdout instead of tables')
    .option('--verbose', 'show stack traces of errors')
    .option('--quiet', 'no progress output')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  for (const register of [registerInspect, registerEval, registerBench, registerCompare, registerZoo, registerTrain, registerSensitivity, registerPrune, registerLottery, registerGroups, registerRun, registerDemo, registerReport]) {
    register(program, io);
  }
  registerQuantize(program, io);
  registerExport(program, io);
  return program;
}

/**
 * Runs the CLI and returns the exit code (see `EXIT`): errors print one line (`secateurs: ...`), with the stack only
 * under `--verbose`.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    const { code, message } = classify(err);
    io.err(`secateurs: ${message}`);
    if (argv.includes('--verbose') && err instanceof Error && err.stack) io.err(err.stack);
    return code;
  }
}

const invoked = process.argv[1] ?? '';
if (invoked.endsWith('/cli/main.ts') || invoked.endsWith('/cli/main.js')) {
  process.exitCode = await main(process.argv);
}
