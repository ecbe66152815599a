import { SecateursError } from '../errors.js';
import { fmtShape } from './files.js';
import type { Dataset } from './types.js';
import { sampleSize, shapeSize } from './types.js';

/**
 * The same samples seen with another sample shape of the same size, e.g. `[784]` for an MLP instead of
 * `[1, 28, 28]`. C order makes this free: `x` is shared, not copied.
 *
 * @throws RangeError when the shape has a bad dimension or a different number of values.
 * @example
 * ```ts
 * withSampleShape(mnist, [784]).sampleShape; // [784]
 * ```
 */
export function withSampleShape(ds: Dataset, shape: readonly number[]): Dataset {
  const bad = shape.find((d) => !Number.isInteger(d) || d < 0);
  if (bad !== undefined) throw new RangeError(`'shape' dimensions must be integers in [0, ∞), got ${bad}.`);
  const want = shapeSize(shape);
  const have = sampleSize(ds);
  if (want !== have) {
    throw new RangeError(`'shape' ${fmtShape(shape)} holds ${want} values per sample, but samples of ` +
      `${ds.name} are ${fmtShape(ds.sampleShape)} (${have} values).`);
  }
  return { ...ds, sampleShape: [...shape] };
}

/** A model input dimension as ONNX declares it: a size, a symbolic name (`dim_param`), or unknown. */
export type ModelDim = number | string | null;

/**
 * How a dataset's samples fit a model input:
 * - `exact`: as they are (symbolic dimensions take the dataset's sizes);
 * - `reshape`: same number of values in another shape: use {@link withSampleShape} with `sampleShape`;
 * - `mismatch`: they do not fit; `message` says why.
 * `fixedBatch` is the batch size the model insists on, or `null` when its batch dimension is free.
 */
export type InputShapeCheck =
  | { readonly ok: true; readonly kind: 'exact' | 'reshape'; readonly sampleShape: readonly number[];
    readonly fixedBatch: number | null; readonly message: string }
  | { readonly ok: false; readonly kind: 'mismatch'; readonly sampleShape: null;
    readonly fixedBatch: number | null; readonly message: string };

const known = (d: ModelDim): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0;

/**
 * Checks, before any work starts, that a dataset's samples can feed a model input whose first dimension is the
 * batch, and explains the answer in one sentence.
 *
 * @example
 * ```ts
 * checkInputShape(mnist, ['N', 784], 'input');
 * // { ok: true, kind: 'reshape', sampleShape: [784], fixedBatch: null, message: '... reshape ...' }
 * checkInputShape(mnist, ['N', 3, 32, 32], 'input').message;
 * // "dataset samples are [1,28,28] (784 values) but model input 'input' expects [N,3,32,32] (3072 values per sample)"
 * ```
 */
export function checkInputShape(
  ds: Dataset,
  modelInputDims: readonly ModelDim[],
  inputName = 'input',
): InputShapeCheck {
  const s = ds.sampleShape;
  const size = sampleSize(ds);
  const batch = modelInputDims[0];
  const fixedBatch = batch !== undefined && known(batch) ? batch : null;
  const want = modelInputDims.slice(1);
  const model = `model input '${inputName}' expects ${fmtShape(modelInputDims)}`;
  const ours = `dataset samples are ${fmtShape(s)} (${size} values)`;
  const batchNote = fixedBatch === null ? '' : `; its batch dimension is fixed at ${fixedBatch}`;
  const mismatch = (why: string): InputShapeCheck =>
    ({ ok: false, kind: 'mismatch', sampleShape: null, fixedBatch, message: `${ours} but ${model}${why}` });
  if (modelInputDims.length === 0) return mismatch(' (a scalar, with no batch dimension)');
  if (want.length === s.length && want.every((d, i) => !known(d) || d === s[i])) {
    const fits = `fit model input '${inputName}' ${fmtShape(modelInputDims)}`;
    const message = `dataset samples ${fmtShape(s)} ${fits}${batchNote}`;
    return { ok: true, kind: 'exact', sampleShape: [...s], fixedBatch, message };
  }
  const open = want.filter((d) => !known(d)).length;
  const fixed = shapeSize(want.filter(known));
  if (open > 1) return mismatch(` (several free sample dimensions, so no reshape can be inferred)`);
  if (open === 1 ? fixed === 0 || size % fixed !== 0 : fixed !== size) {
    return mismatch(open === 1 ? ` (${size} is not a multiple of ${fixed})` : ` (${fixed} values per sample)`);
  }
  const shape = want.map((d) => (known(d) ? d : size / fixed));
  const message = `${ours}; ${model}: reshape samples to ${fmtShape(shape)} (withSampleShape) to fit${batchNote}`;
  return { ok: true, kind: 'reshape', sampleShape: shape, fixedBatch, message };
}

/**
 * {@link checkInputShape} that throws when the samples do not fit.
 *
 * @throws SecateursError `DATA_SHAPE_MISMATCH` with the explanation.
 * @example
 * ```ts
 * const fit = assertInputShape(ds, ['N', 784]);
 * const ready = fit.kind === 'reshape' ? withSampleShape(ds, fit.sampleShape) : ds;
 * ```
 */
export function assertInputShape(
  ds: Dataset,
  modelInputDims: readonly ModelDim[],
  inputName = 'input',
): Extract<InputShapeCheck, { ok: true }> {
  const check = checkInputShape(ds, modelInputDims, inputName);
  if (!check.ok) throw new SecateursError('DATA_SHAPE_MISMATCH', check.message);
  return check;
}
