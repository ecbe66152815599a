import { SecateursError } from '../errors.js';

/**
 * Exit codes of the `secateurs` command. Scripts can rely on these.
 * - 0: success
 * - 1: internal error (a bug: please report it with `--verbose` output)
 * - 2: usage error (unknown option, value out of range)
 * - 3: bad input (model or data file missing, malformed or unsupported)
 * - 4: a check failed (e.g. `compare --max-diff` exceeded)
 * - 130: interrupted (Ctrl-C) after writing a checkpoint
 */
export const EXIT = { ok: 0, internal: 1, usage: 2, input: 3, check: 4, interrupted: 130 } as const;

/**
 * Error codes that mean "the user's input cannot be processed" (a bad file, an unsupported op, a plan that cannot be
 * met, training that diverged) rather than "the tool is broken".
 */
const INPUT_PREFIXES = ['ONNX_', 'DATA_', 'TENSOR_', 'IR_', 'RUNTIME_', 'ZOO_', 'SHAPE_', 'PRUNE_', 'TRAIN_', 'AUTODIFF_', 'RECIPE_', 'QUANT_', 'EXPORT_'];

/** Raised by commands whose check (threshold) fails; exits with code 4. */
export class CheckFailed extends SecateursError {
  constructor(message: string) {
    super('CHECK_FAILED', message);
  }
}

/** Maps an error to the exit code and the one-line message printed for it. */
export function classify(err: unknown): { code: number; message: string } {
  if (err instanceof CheckFailed) return { code: EXIT.check, message: err.message };
  if (err instanceof SecateursError) {
    if (err.code === 'USAGE') return { code: EXIT.usage, message: err.message };
    if (err.code === 'TRAIN_ABORTED') return { code: EXIT.interrupted, message: err.message };
    const input = INPUT_PREFIXES.some((p) => err.code.startsWith(p));
    return { code: input ? EXIT.input : EXIT.internal, message: `${err.message} [${err.code}]` };
  }
  if (err instanceof RangeError || err instanceof TypeError) {
    return { code: EXIT.usage, message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: EXIT.internal, message: `internal error: ${message}` };
}
