import { SecateursError } from '../errors.js';
import { loadFashionMnist } from './fashion.js';
import { loadMnist } from './mnist.js';
import { checkBuiltinSplit } from './normalize.js';
import { loadNpzDataset } from './npz-dataset.js';
import type { Dataset, Normalization } from './types.js';

/** Options of {@link loadDataset}; each applies where it makes sense and is ignored elsewhere. */
export interface LoadDatasetOptions {
  /** Pixel scaling (built-in datasets; `.npz` files accept `unit` and `none`). Default `unit`. */
  readonly normalize?: Normalization;
  /** Fashion-MNIST cache folder, or `false` for none. */
  readonly cacheDir?: string | false;
  /** `.npz` sample key (see {@link loadNpzDataset}). */
  readonly xKey?: string;
  /** `.npz` label key (see {@link loadNpzDataset}). */
  readonly yKey?: string;
}

type BuiltinLoader = (split: 'train' | 'test', options: LoadDatasetOptions) => Promise<Dataset>;

/** The built-in datasets, by the name `loadDataset` and the CLI accept. */
const BUILTIN: Readonly<Record<string, BuiltinLoader>> = {
  mnist: (split, o) => loadMnist({ split, normalize: o.normalize }),
  'fashion-mnist': (split, o) => loadFashionMnist({ split, normalize: o.normalize, cacheDir: o.cacheDir }),
};

/** Names {@link loadDataset} accepts besides `.npz` paths. */
export const BUILTIN_DATASETS: readonly string[] = Object.keys(BUILTIN);

/**
 * Loads a dataset by name (`mnist`, `fashion-mnist`: split `train` or `test`) or from an `.npz` file path. For an
 * `.npz`, `split` picks `x_<split>`/`y_<split>` when the archive has them, else `x`/`y` (the whole file is then
 * taken as that split).
 *
 * @throws SecateursError `DATA_UNKNOWN` for a name that is neither built in nor an `.npz` path, and whatever the
 *   loader throws; RangeError for a split a built-in dataset lacks.
 * @example
 * ```ts
 * const ds = await loadDataset('fashion-mnist', 'test');
 * const own = await loadDataset('runs/cifar-small.npz', 'train');
 * ```
 */
export async function loadDataset(spec: string, split: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  if (typeof spec !== 'string') throw new TypeError(`'spec' must be a dataset name or .npz path string.`);
  const builtin = Object.hasOwn(BUILTIN, spec) ? BUILTIN[spec] : undefined;
  if (builtin) return builtin(checkBuiltinSplit(split), options);
  if (/\.npz$/i.test(spec)) {
    const normalize = options.normalize;
    if (normalize === 'standard') {
      throw new RangeError(`'normalize' of an .npz dataset must be 'unit' or 'none'; got 'standard'.`);
    }
    return loadNpzDataset(spec, { split, normalize, xKey: options.xKey, yKey: options.yKey });
  }
  const known = BUILTIN_DATASETS.map((n) => `'${n}'`).join(', ');
  throw new SecateursError('DATA_UNKNOWN',
    `unknown dataset '${spec}'; expected one of ${known} or a path to an .npz file.`);
}
