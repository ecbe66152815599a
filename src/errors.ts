/**
 * The one project error class. Every failure that is not a plain TypeError (wrong kind of value) or RangeError
 * (value outside its interval) is a SecateursError with a stable, documented `code` that scripts can match on.
 *
 * @example
 * ```ts
 * try { await loadModel('missing.onnx'); } catch (e) { if (e instanceof SecateursError) console.log(e.code); }
 * ```
 */
export class SecateursError extends Error {
  /** Stable machine-readable code, e.g. `ONNX_MALFORMED`, `DATA_MISSING`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecateursError';
    this.code = code;
  }
}

/** Throws a SecateursError listing every problem at once (house style: collect, then report together). */
export function throwAll(code: string, subject: string, problems: readonly string[]): void {
  if (problems.length === 0) return;
  const list = problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`;
  throw new SecateursError(code, `${subject}: ${list}`);
}
