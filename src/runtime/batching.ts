import { Tensor as OrtTensor } from 'onnxruntime-node';
import { SecateursError } from '../errors.js';
import type { Dim } from '../ir/graph.js';
import type { Session } from './session.js';
import { numel } from './tensors.js';

/** What the batching needs of a dataset: contiguous float32 samples of one shape. */
export interface SampleSource {
  readonly name?: string;
  readonly x: Float32Array;
  readonly count: number;
  readonly sampleShape: readonly number[];
}

/** How dataset samples are fed to one model input. */
export interface InputLayout {
  /** The graph input fed. */
  readonly name: string;
  /** Dims of one sample as the model wants them (the dataset's sample reshaped; same number of values). */
  readonly sampleDims: readonly number[];
  /** Values per sample. */
  readonly sampleSize: number;
  /** The model's batch dim when it is a fixed number (batches are then that size, the last one padded). */
  readonly fixedBatch: number | undefined;
}

const fmt = (shape: readonly Dim[]): string => `[${shape.map((d) => (d === null ? '?' : d)).join(', ')}]`;

/**
 * The single input to feed, by name or as the only input of the session; a SecateursError lists the inputs otherwise.
 *
 * @example
 * ```ts
 * pickInput(session, undefined);   // 'input' for a one-input model
 * ```
 */
export function pickInput(session: Session, inputName: string | undefined): string {
  if (inputName !== undefined) return session.input(inputName).name;
  const [only, ...rest] = session.inputNames;
  if (only === undefined || rest.length > 0) {
    throw new SecateursError('RUNTIME_INPUT_AMBIGUOUS', `the model has ${session.inputNames.length} inputs (${session.inputNames.map((n) => `'${n}'`).join(', ')}); pass 'inputName' to choose the one the dataset feeds.`);
  }
  return only;
}

/**
 * The output to read, by name or the session's first output.
 *
 * @example
 * ```ts
 * pickOutput(session, undefined);   // 'logits'
 * ```
 */
export function pickOutput(session: Session, outputName: string | undefined): string {
  if (outputName !== undefined) return session.output(outputName).name;
  const first = session.outputNames[0];
  if (first === undefined) throw new SecateursError('RUNTIME_UNKNOWN_IO', 'the model has no outputs.');
  return first;
}

/**
 * How the dataset's samples map onto input `name`. Dim 0 is the batch. The rest must hold the same number of values as
 * a sample: fixed dims reshape freely (`[1, 28, 28]` → `[784]`); with symbolic dims the sample shape must match rank
 * and every fixed dim (one symbolic dim alone is inferred). Otherwise a SecateursError names both shapes.
 *
 * @example
 * ```ts
 * resolveLayout(session, undefined, mnist).sampleDims;   // [784] for an [N, 784] input, [1, 28, 28] for [N, 1, 28, 28]
 * ```
 */
export function resolveLayout(session: Session, inputName: string | undefined, data: SampleSource): InputLayout {
  const name = pickInput(session, inputName);
  const io = session.input(name);
  if (io.dtype !== undefined && io.dtype !== 'float32') {
    throw new SecateursError('RUNTIME_INPUT_DTYPE', `model input '${name}' is ${io.dtype}; datasets feed float32 samples.`);
  }
  const sampleSize = numel(data.sampleShape);
  const need = data.count * sampleSize;
  if (data.x.length < need) {
    throw new RangeError(`dataset${data.name ? ` '${data.name}'` : ''} holds ${data.x.length} values; ${data.count} samples of [${data.sampleShape.join(', ')}] need ${need}.`);
  }
  if (io.shape.length === 0) return { name, sampleDims: [...data.sampleShape], sampleSize, fixedBatch: undefined };
  const [batch, ...rest] = io.shape;
  const sampleDims = fitSample(rest, data.sampleShape);
  if (!sampleDims) {
    throw new SecateursError('DATA_SHAPE_MISMATCH', `model input '${name}' has shape ${fmt(io.shape)} (${fmt(rest)} per sample), but dataset${data.name ? ` '${data.name}'` : ''} samples are [${data.sampleShape.join(', ')}] (${sampleSize} values); they cannot be reshaped into each other.`);
  }
  return { name, sampleDims, sampleSize, fixedBatch: typeof batch === 'number' ? batch : undefined };
}

function fitSample(rest: readonly Dim[], sample: readonly number[]): number[] | undefined {
  const size = numel(sample);
  const open = rest.filter((d) => typeof d !== 'number').length;
  const known = rest.reduce<number>((a, d) => (typeof d === 'number' ? a * d : a), 1);
  if (open === 0) return known === size ? (rest as number[]) : undefined;
  if (rest.length === sample.length && rest.every((d, i) => typeof d !== 'number' || d === sample[i])) return [...sample];
  if (open === 1 && known > 0 && size % known === 0) return rest.map((d) => (typeof d === 'number' ? d : size / known));
  return undefined;
}

/** One batch ready to run: rows `[start, start + size)` of the data, in `feed` (padded up to a fixed batch). */
export interface Batch {
  readonly start: number;
  readonly size: number;
  readonly feed: OrtTensor;
}

/**
 * Batch size actually used: the model's fixed batch dim when it has one, else `requested` (a positive integer).
 *
 * @example
 * ```ts
 * effectiveBatch(layout, 256);   // 32 when the model input is [32, 1, 28, 28]
 * ```
 */
export function effectiveBatch(layout: InputLayout, requested: number): number {
  if (!Number.isSafeInteger(requested) || requested < 1) throw new RangeError(`'batchSize' must be a positive integer, got ${requested}.`);
  return layout.fixedBatch ?? requested;
}

/**
 * Yields the first `count` samples in batches. Feeds are onnxruntime tensors over `subarray` views of `x` (zero copy);
 * only a last batch padded to a fixed model batch is copied, into one reused zero-filled buffer.
 *
 * @example
 * ```ts
 * for (const b of batchFeeds(ds.x, ds.count, layout, 256)) await session.runRaw({ [layout.name]: b.feed });
 * ```
 */
export function* batchFeeds(x: Float32Array, count: number, layout: InputLayout, batchSize: number): Generator<Batch> {
  const ss = layout.sampleSize;
  let pad: Float32Array | undefined;
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const view = x.subarray(start * ss, (start + size) * ss);
    if (layout.fixedBatch !== undefined && size < layout.fixedBatch) {
      pad ??= new Float32Array(layout.fixedBatch * ss);
      pad.set(view);
      pad.fill(0, view.length);
      yield { start, size, feed: new OrtTensor('float32', pad, [layout.fixedBatch, ...layout.sampleDims]) };
    } else {
      yield { start, size, feed: new OrtTensor('float32', view, [size, ...layout.sampleDims]) };
    }
  }
}

/**
 * The number of samples to use: `limit` (a non-negative integer) capped at `count`, or `count`.
 *
 * @example
 * ```ts
 * sampleCount(10000, 300);   // 300
 * ```
 */
export function sampleCount(count: number, limit: number | undefined): number {
  if (limit === undefined) return count;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`'limit' must be an integer >= 0, got ${limit}.`);
  return Math.min(limit, count);
}

/**
 * Values per row of a batch output, after checking that dim 0 is the batch fed.
 *
 * @example
 * ```ts
 * rowWidth([32, 10], 32, 'logits');   // 10
 * ```
 */
export function rowWidth(dims: readonly number[], fed: number, output: string): number {
  if (dims.length === 0 || dims[0] !== fed) {
    throw new SecateursError('RUNTIME_OUTPUT_SHAPE', `output '${output}' has shape [${dims.join(', ')}]; expected the batch (${fed}) as its first dim.`);
  }
  let k = 1;
  for (let i = 1; i < dims.length; i++) k *= dims[i]!;
  return k;
}
