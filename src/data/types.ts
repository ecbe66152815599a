/**
 * A labelled classification dataset held in memory: every sample's values laid out one after another in `x`
 * (C order within a sample), one integer label per sample in `y`.
 *
 * @example
 * ```ts
 * const ds = await loadMnist({ split: 'test' });
 * ds.count;               // 10000
 * ds.sampleShape;         // [1, 28, 28]
 * ds.x.length;            // 10000 * 784
 * ds.y[0];                // 7
 * ```
 */
export interface Dataset {
  /** Short dataset name, e.g. `mnist`, `fashion-mnist`, or the .npz file's base name. */
  readonly name: string;
  /** Which split this is, e.g. `train`, `test`, `val`. */
  readonly split: string;
  /** Sample values, `count * product(sampleShape)` floats. */
  readonly x: Float32Array;
  /** Labels in `[0, numClasses)`, one per sample. */
  readonly y: Int32Array;
  /** Number of samples. */
  readonly count: number;
  /** Shape of one sample without the batch dimension, e.g. `[1, 28, 28]`. */
  readonly sampleShape: readonly number[];
  /** Number of classes; every label is below it. */
  readonly numClasses: number;
  /** Human-readable class names, indexed by label, when known. */
  readonly classNames?: readonly string[];
}

/**
 * How raw 0..255 pixels become floats:
 * - `unit`: `x / 255`, in [0, 1] (the default everywhere);
 * - `standard`: `(x / 255 - mean) / std` with the dataset's published training-set statistics;
 * - `none`: the raw 0..255 values as floats.
 */
export type Normalization = 'unit' | 'standard' | 'none';

/** The splits the built-in datasets ship. */
export type BuiltinSplit = 'train' | 'test';

/** Options of the built-in image dataset loaders. */
export interface ImageLoadOptions {
  /** Which split to load. */
  readonly split: BuiltinSplit;
  /** Pixel scaling; default `unit`. */
  readonly normalize?: Normalization;
}

/**
 * Stable `SecateursError` codes raised by the data module:
 * - `DATA_MISSING`: a file or package is not there;
 * - `DATA_MALFORMED`: a file is there but its bytes are not what its format promises;
 * - `DATA_UNSUPPORTED`: a valid file using a feature this module does not read (Fortran order, structured dtypes);
 * - `DATA_KEY_MISSING`: an .npz archive lacks a requested array;
 * - `DATA_UNKNOWN`: `loadDataset` got a name it does not know;
 * - `DATA_SHAPE_MISMATCH`: samples do not fit a model input (from `assertInputShape`).
 */
export type DataErrorCode =
  | 'DATA_MISSING'
  | 'DATA_MALFORMED'
  | 'DATA_UNSUPPORTED'
  | 'DATA_KEY_MISSING'
  | 'DATA_UNKNOWN'
  | 'DATA_SHAPE_MISMATCH';

/** Number of values in one sample of `shape` (1 for the empty shape). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Size of one sample of `ds`, in values. */
export function sampleSize(ds: Dataset): number {
  return shapeSize(ds.sampleShape);
}
