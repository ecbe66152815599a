import { SecateursError } from '../errors.js';
import {
  batchFeeds, effectiveBatch, pickOutput, resolveLayout, rowWidth, sampleCount, type InputLayout, type SampleSource,
} from './batching.js';
import { crossEntropy, labelRank } from './logits.js';
import { resolveProgress, type Progress } from './progress.js';
import { withSession, type ModelSource, type Session, type SessionOptions } from './session.js';
import { floatData, fromOrt } from './tensors.js';

/** A labelled dataset as evaluation needs it (the data module's `Dataset` fits). */
export interface LabelledSource extends SampleSource {
  readonly y: Int32Array;
  readonly numClasses: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Samples per run; default 256. Ignored when the model's batch dim is fixed (that size is used, last batch padded). */
  readonly batchSize?: number;
  /** Input fed with the samples; default the model's only input. */
  readonly inputName?: string;
  /** Output read as logits; default the first output. */
  readonly outputName?: string;
  /** Top-k accuracies to report in `topK`; default [1, 5]. `top1`/`top5` are always reported. */
  readonly topK?: readonly number[];
  /** `cross-entropy` (default; the output is read as logits) or `none` (loss reported as NaN). */
  readonly loss?: 'cross-entropy' | 'none';
  /** Return every output row (`[count, ...]`, float32); default false. */
  readonly keepOutputs?: boolean;
  /** Use only the first `limit` samples. */
  readonly limit?: number;
  /** Called after each batch with samples done so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** `true` for a progress bar/lines on stderr (see {@link createProgress}), or a Progress to drive. */
  readonly progress?: boolean | Progress;
  /** Session options when `model` is not a Session already. */
  readonly session?: SessionOptions;
}

/** Result of {@link evaluate}. */
export interface EvaluateResult {
  readonly count: number;
  readonly top1: number;
  readonly top5: number;
  /** Accuracy for every k of `options.topK`, keyed by k. */
  readonly topK: Readonly<Record<number, number>>;
  /** Mean cross-entropy (NaN with `loss: 'none'`). */
  readonly loss: number;
  /** Samples per second over the whole loop (runs plus bookkeeping). */
  readonly samplesPerSec: number;
  readonly outputs?: { readonly dims: readonly number[]; readonly data: Float32Array };
}

/**
 * Runs a classifier over a dataset in batches and scores it: top-1/top-5 (and any `topK`) accuracy, mean
 * cross-entropy from the logits, throughput. Samples are fed as zero-copy views of `dataset.x`, reshaped to the
 * model's input (`[1, 28, 28]` samples feed a `[N, 784]` input). A model with a fixed batch dim gets batches of that
 * size, the last one zero-padded and its padded rows ignored.
 *
 * @throws SecateursError `DATA_SHAPE_MISMATCH` (naming both shapes), `RUNTIME_INPUT_AMBIGUOUS`, `RUNTIME_RUN`, …
 * @example
 * ```ts
 * const r = await evaluate(model, await loadMnist({ split: 'test' }), { batchSize: 256, progress: true });
 * console.log(r.top1, r.loss, r.samplesPerSec);
 * ```
 */
export async function evaluate(model: Session | ModelSource, dataset: LabelledSource, options: EvaluateOptions = {}): Promise<EvaluateResult> {
  return withSession(model, options.session ?? {}, async (session) => {
    const layout = resolveLayout(session, options.inputName, dataset);
    const output = pickOutput(session, options.outputName);
    const count = sampleCount(dataset.count, options.limit);
    const acc = new Accumulator(checkKs(options.topK ?? [1, 5]), withLoss(options.loss ?? 'cross-entropy'), options.keepOutputs === true, count);
    const progress = resolveProgress('eval', options.progress);
    const t0 = performance.now();
    try {
      await runAll(session, dataset, layout, count, effectiveBatch(layout, options.batchSize ?? 256), output, acc, (done) => {
        options.onProgress?.(done, count);
        progress.update(done, count);
      });
    } finally {
      progress.finish();
    }
    return acc.result(count, (performance.now() - t0) / 1000);
  });
}

async function runAll(
  session: Session, ds: LabelledSource, layout: InputLayout, count: number, batch: number, output: string,
  acc: Accumulator, onBatch: (done: number) => void,
): Promise<void> {
  const fetches = [output];
  for (const b of batchFeeds(ds.x, count, layout, batch)) {
    const res = await session.runRaw({ [layout.name]: b.feed }, fetches);
    const t = fromOrt(res[output]!, `output '${output}'`);
    const k = rowWidth(t.dims, b.feed.dims[0]!, output);
    acc.add(floatData(t, `output '${output}'`), b.size, k, ds.y, b.start, ds.numClasses, t.dims, output);
    onBatch(b.start + b.size);
  }
}

function withLoss(loss: 'cross-entropy' | 'none'): boolean {
  switch (loss) {
    case 'cross-entropy': return true;
    case 'none': return false;
    default: throw new RangeError(`'loss' must be 'cross-entropy' or 'none', got '${String(loss)}'.`);
  }
}

function checkKs(ks: readonly number[]): readonly number[] {
  for (const k of ks) if (!Number.isSafeInteger(k) || k < 1) throw new RangeError(`'topK' entries must be integers >= 1, got ${k}.`);
  return ks;
}

/** Running totals of one evaluation. */
class Accumulator {
  private readonly ks: readonly number[];
  /** Hit counts, aligned with `ks`. */
  private readonly hits: number[];
  private lossSum = 0;
  private kept: Float32Array | undefined;
  private rowDims: readonly number[] = [];

  constructor(private readonly requested: readonly number[], private readonly withLoss: boolean, private readonly keep: boolean, private readonly total: number) {
    this.ks = [...new Set([1, 5, ...requested])].sort((a, b) => a - b);
    this.hits = this.ks.map(() => 0);
  }

  add(logits: Float32Array, rows: number, k: number, y: Int32Array, start: number, numClasses: number, dims: readonly number[], name: string): void {
    if (numClasses > k) {
      throw new SecateursError('RUNTIME_OUTPUT_SHAPE', `output '${name}' has ${k} values per sample (shape [${dims.join(', ')}]) but the dataset has ${numClasses} classes.`);
    }
    const ks = this.ks;
    const hits = this.hits;
    const maxK = ks[ks.length - 1]!;
    for (let r = 0; r < rows; r++) {
      const label = y[start + r]!;
      const rank = labelRank(logits, r, k, label);
      if (rank < maxK) for (let i = 0; i < ks.length; i++) if (rank < ks[i]!) hits[i]!++;
      if (this.withLoss) this.lossSum += crossEntropy(logits, r, k, label);
    }
    if (this.keep) {
      this.kept ??= new Float32Array(this.total * k);
      this.rowDims = dims.slice(1);
      this.kept.set(logits.subarray(0, rows * k), start * k);
    }
  }

  result(count: number, seconds: number): EvaluateResult {
    const rate = (k: number): number => (count > 0 ? this.hits[this.ks.indexOf(k)]! / count : NaN);
    const topK: Record<number, number> = {};
    for (const k of this.requested) topK[k] = rate(k);
    return {
      count,
      top1: rate(1),
      top5: rate(5),
      topK,
      loss: this.withLoss && count > 0 ? this.lossSum / count : NaN,
      samplesPerSec: seconds > 0 ? count / seconds : 0,
      ...(this.keep ? { outputs: { dims: [count, ...this.rowDims], data: this.kept ?? new Float32Array(0) } } : {}),
    };
  }
}
