import { readFile, stat } from 'node:fs/promises';
import { SecateursError } from '../errors.js';
import type { Model } from '../ir/graph.js';
import { decodeModel, encodeModel } from '../onnx/index.js';
import { buildZooModel } from '../zoo/index.js';

/** A model named on the command line: a file path, or `zoo:NAME` for a reference model built on the fly. */
export interface LoadedModel {
  readonly label: string;
  readonly model: Model;
  /** The serialized model (the file's bytes, or the zoo model encoded), for sizes and sessions. */
  readonly bytes: Uint8Array;
  /** The file path, when the model came from a file. */
  readonly path?: string;
}

/**
 * Resolves a MODEL argument. `zoo:lenet5` builds the reference model with seed 0; anything else is read as an ONNX
 * file (external data resolved beside it).
 */
export async function loadModelArg(spec: string, seed = 0): Promise<LoadedModel> {
  if (spec.startsWith('zoo:')) {
    const model = buildZooModel(spec.slice(4), { seed });
    return { label: spec, model, bytes: encodeModel(model) };
  }
  const info = await stat(spec).catch(() => undefined);
  if (!info) throw new SecateursError('ONNX_FILE_MISSING', `${spec}: no such file (give an .onnx path or zoo:NAME).`);
  if (!info.isFile()) throw new SecateursError('ONNX_FILE_MISSING', `${spec}: not a file.`);
  const bytes = new Uint8Array(await readFile(spec));
  const model = decodeModel(bytes, { baseDir: dirnameOf(spec), source: spec });
  return { label: spec, model, bytes, path: spec };
}

function dirnameOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '.' : p.slice(0, i) || '/';
}

/** Parses a comma-separated list of positive integers ("1,32"), naming the option on error. */
export function parseIntList(option: string, text: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const out = parts.map((s) => Number(s));
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError(`'${option}' must be a comma-separated list of integers >= 1, got '${text}'.`);
  }
  return out;
}

/** Parses one integer option within [min, max]. */
export function parseIntOption(option: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`'${option}' must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got '${text}'.`);
  }
  return n;
}

/** Parses a number option in an interval; `open` ends are excluded. The error names the option and the interval. */
export function parseNumberOption(option: string, text: string, range: { min?: number; max?: number; openMin?: boolean; openMax?: boolean } = {}): number {
  const x = Number(text);
  const { min = -Infinity, max = Infinity, openMin = false, openMax = false } = range;
  const ok = Number.isFinite(x) && (openMin ? x > min : x >= min) && (openMax ? x < max : x <= max);
  if (!ok) {
    throw new RangeError(`'${option}' must be in ${openMin ? '(' : '['}${min}, ${max === Infinity ? '∞' : max}${openMax || max === Infinity ? ')' : ']'}, got '${text}'.`);
  }
  return x;
}
