import { basename } from 'node:path';
import { SecateursError, throwAll } from '../errors.js';
import { readDataFile } from './files.js';
import { toFloat32, toLabels } from './npy-convert.js';
import type { NpyArray } from './npy-dtypes.js';
import { decodeNpz } from './npz.js';
import type { Dataset } from './types.js';

/** Options of {@link loadNpzDataset}. */
export interface NpzDatasetOptions {
  /** Key of the samples; default `x_<split>` when `split` is given and the archive has it, else `x`. */
  readonly xKey?: string;
  /** Key of the labels; default `y_<split>` when `split` is given and the archive has it, else `y`. */
  readonly yKey?: string;
  /** Split name recorded in the dataset and used to pick default keys; default `all`. */
  readonly split?: string;
  /** Dataset name; default the file's base name without `.npz`. */
  readonly name?: string;
  /**
   * Scaling of uint8 samples: `unit` (default) divides them by 255, `none` keeps 0..255. Samples of any other
   * type are converted to float32 as they are (they are taken to be scaled already).
   */
  readonly normalize?: 'unit' | 'none';
  /** Number of classes; default `max(label) + 1`. Every label must be below it. */
  readonly numClasses?: number;
  /** Class names, one per class. */
  readonly classNames?: readonly string[];
}

/**
 * Loads a classification dataset from an `.npz` archive: samples `x` of shape `[N, ...sampleShape]` (any supported
 * element type, converted to float32) and labels `y` of shape `[N]` or `[N, 1]` (integers, converted to int32).
 * Keras' `mnist.npz` (`x_train`, `y_train`, `x_test`, `y_test`) loads with `{ split: 'train' }`.
 *
 * @throws SecateursError `DATA_MISSING` (no file), `DATA_KEY_MISSING` (a key is absent; the message lists the keys
 *   found), `DATA_MALFORMED` (shapes or counts disagree, labels are not class indices).
 * @example
 * ```ts
 * const ds = await loadNpzDataset('digits.npz', { xKey: 'images', yKey: 'labels' });
 * ds.sampleShape; // e.g. [1, 8, 8]
 * ```
 */
export async function loadNpzDataset(path: string, options: NpzDatasetOptions = {}): Promise<Dataset> {
  const file = basename(path);
  if (options.normalize !== undefined && options.normalize !== 'unit' && options.normalize !== 'none') {
    throw new RangeError(`'normalize' of an .npz dataset must be 'unit' or 'none'; ` +
      `got '${String(options.normalize)}' (standardization needs statistics the file does not carry).`);
  }
  const bytes = await readDataFile(path, 'an .npz archive of samples and labels');
  const split = options.split ?? 'all';
  const [xKey, yKey] = resolveKeys(file, decodeNpz(bytes, file, []).keys, options);
  const { arrays } = decodeNpz(bytes, file, [xKey, yKey]);
  const xa = arrays.get(xKey)!;
  const ya = arrays.get(yKey)!;
  checkShapes(file, xKey, xa, yKey, ya);
  const y = toLabels(ya, `${file}: '${yKey}'`);
  const numClasses = classCount(file, yKey, y, options);
  const x = toFloat32(xa);
  if (xa.dtype === 'uint8' && (options.normalize ?? 'unit') === 'unit') {
    for (let i = 0; i < x.length; i++) x[i] = x[i]! / 255;
  }
  return {
    name: options.name ?? file.replace(/\.npz$/i, ''),
    split,
    x,
    y,
    count: y.length,
    sampleShape: xa.shape.slice(1),
    numClasses,
    ...(options.classNames ? { classNames: options.classNames } : {}),
  };
}

/** The sample and label keys to read (see {@link NpzDatasetOptions}); throws listing the keys when one is absent. */
function resolveKeys(file: string, keys: readonly string[], options: NpzDatasetOptions): [string, string] {
  const split = options.split;
  const pick = (given: string | undefined, stem: string): string =>
    given ?? (split !== undefined && keys.includes(`${stem}_${split}`) ? `${stem}_${split}` : stem);
  const chosen: [string, string] = [pick(options.xKey, 'x'), pick(options.yKey, 'y')];
  const missing = chosen.filter((k) => !keys.includes(k));
  if (missing.length > 0) {
    const found = keys.length > 0 ? keys.map((k) => `'${k}'`).join(', ') : 'none';
    throw new SecateursError('DATA_KEY_MISSING',
      `${file}: no array ${missing.map((k) => `'${k}'`).join(' or ')}; keys found: ${found}.`);
  }
  return chosen;
}

function checkShapes(file: string, xKey: string, xa: NpyArray, yKey: string, ya: NpyArray): void {
  const problems: string[] = [];
  const fmt = (s: readonly number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;
  if (xa.shape.length < 1) problems.push(`'${xKey}' must have a sample axis first, found a scalar`);
  const yOk = ya.shape.length === 1 || (ya.shape.length === 2 && ya.shape[1] === 1);
  if (!yOk) {
    problems.push(`'${yKey}' must hold one class index per sample, shape (N,) or (N, 1), found ${fmt(ya.shape)}` +
      (ya.shape.length === 2 ? ' (one-hot or scores? store argmax instead)' : ''));
  }
  if (ya.dtype === 'bool') problems.push(`'${yKey}' is bool; expected integer class indices`);
  const nx = xa.shape[0];
  const ny = ya.shape[0];
  if (nx !== undefined && ny !== undefined && nx !== ny) {
    problems.push(`'${xKey}' has ${nx} samples ${fmt(xa.shape)} but '${yKey}' has ${ny} labels ${fmt(ya.shape)}`);
  }
  throwAll('DATA_MALFORMED', file, problems);
}

function classCount(file: string, yKey: string, y: Int32Array, options: NpzDatasetOptions): number {
  const max = y.reduce((m, v) => (v > m ? v : m), -1);
  const n = options.numClasses ?? Math.max(max + 1, 1);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`'numClasses' must be an integer >= 1, got ${n}.`);
  if (max >= n) {
    throw new SecateursError('DATA_MALFORMED',
      `${file}: '${yKey}' has label ${max}, outside [0, ${n - 1}] for numClasses ${n}.`);
  }
  if (options.classNames && options.classNames.length !== n) {
    throw new RangeError(`'classNames' must have numClasses (${n}) entries, got ${options.classNames.length}.`);
  }
  return n;
}
