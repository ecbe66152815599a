/** State shared by the decoders of one model: where it came from (for messages and external data) and what went wrong. */
import { SecateursError } from '../errors.js';

/** Where a model's bytes came from. */
export interface DecodeContext {
  /** File name (or a stand-in) that every message starts with. */
  readonly source: string;
  /** Folder external data locations are relative to; undefined for bytes with no folder. */
  readonly baseDir: string | undefined;
  /** Problems collected while decoding, reported together at the end. */
  readonly problems: string[];
  /** External data files already checked, by location. */
  readonly files: Map<string, { readonly path: string; readonly size: number }>;
}

/** A fresh context. */
export function decodeContext(source: string, baseDir: string | undefined): DecodeContext {
  return { source, baseDir, problems: [], files: new Map() };
}

/** A SecateursError whose one-line message starts with the file name. */
export function onnxError(code: string, source: string, message: string, cause?: unknown): SecateursError {
  return new SecateursError(code, `${source}: ${message}`, cause === undefined ? undefined : { cause });
}

/** Largest int64, the sentinel exporters use for "to the end" (e.g. Slice ends). */
export const INT64_MAX = 0x7fffffffffffffffn;
/** Smallest int64. */
export const INT64_MIN = -0x8000000000000000n;

/**
 * A JS number as an int64: integers only; values at or beyond ±2^63 (what INT64_MAX/MIN become as numbers) clamp to
 * the exact int64 limits, so sentinels round-trip.
 */
export function toInt64(x: number, where: string): bigint {
  if (!Number.isInteger(x)) throw new RangeError(`${where}: ${x} is not an integer; int64 values must be integers.`);
  if (x >= 2 ** 63) return INT64_MAX;
  if (x <= -(2 ** 63)) return INT64_MIN;
  return BigInt(x);
}
