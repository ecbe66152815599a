import { SecateursError } from '../errors.js';
import { batchFeeds, effectiveBatch, pickOutput, resolveLayout, sampleCount, type SampleSource } from './batching.js';
import { argmax, cosine, klDivergence } from './logits.js';
import { withSession, type Session, type ModelSource, type SessionOptions } from './session.js';
import { floatData, fromOrt, numel, type Feeds, type TensorData } from './tensors.js';

/** Options of {@link compareModels}. */
export interface CompareOptions {
  /** Samples per run for a dataset; default 256 (a fixed batch dim of either model wins). */
  readonly batchSize?: number;
  /** Use only the first `limit` samples of a dataset. */
  readonly limit?: number;
  /** Input fed with dataset samples; default each model's only input. */
  readonly inputName?: string;
  /** Output of `a` compared; default its first output. Also used for `b` unless `outputNameB` is given. */
  readonly outputName?: string;
  /** Output of `b` compared; default `outputName`, else b's first output. */
  readonly outputNameB?: string;
  /** Session options for sources that are not Sessions. */
  readonly session?: SessionOptions;
}

/** How far two models' outputs are apart. Rows are samples (dim 0); each row is flattened. */
export interface CompareResult {
  /** Rows compared. */
  readonly count: number;
  readonly maxAbsDiff: number;
  /** Mean over all elements. */
  readonly meanAbsDiff: number;
  /** Mean over rows of the cosine similarity. */
  readonly meanCosine: number;
  /** Fraction of rows with the same argmax. */
  readonly top1Agreement: number;
  /** Mean over rows of KL(softmax(a) ‖ softmax(b)), outputs read as logits. */
  readonly klDivergence: number;
}

/**
 * Runs two models on the same inputs and measures how their outputs differ: a dataset (batched like
 * {@link evaluate}), one feeds object, or a list of them. The model checks of every rewrite use this.
 *
 * @throws SecateursError `RUNTIME_OUTPUT_MISMATCH` naming both outputs and shapes when they differ.
 * @example
 * ```ts
 * const d = await compareModels(original, pruned, testSet, { limit: 1000 });
 * if (d.top1Agreement < 0.99) console.warn(`agreement ${d.top1Agreement}, KL ${d.klDivergence}`);
 * ```
 */
export async function compareModels(
  a: Session | ModelSource, b: Session | ModelSource, data: SampleSource | Feeds | readonly Feeds[], options: CompareOptions = {},
): Promise<CompareResult> {
  const so = options.session ?? {};
  return withSession(a, so, (sa) => withSession(b, so, async (sb) => {
    const outA = pickOutput(sa, options.outputName);
    const outB = pickOutput(sb, options.outputNameB ?? options.outputName);
    const acc = new DiffAccumulator(outA, outB);
    if (isSampleSource(data)) await compareDataset(sa, sb, data, options, acc);
    else {
      for (const feeds of Array.isArray(data) ? (data as readonly Feeds[]) : [data as Feeds]) {
        const [ra, rb] = [await sa.run(feeds, [outA]), await sb.run(feeds, [outB])];
        acc.add(ra[outA]!, rb[outB]!, undefined);
      }
    }
    return acc.result();
  }));
}

function isSampleSource(d: SampleSource | Feeds | readonly Feeds[]): d is SampleSource {
  return !Array.isArray(d) && (d as SampleSource).x instanceof Float32Array && typeof (d as SampleSource).count === 'number';
}

async function compareDataset(sa: Session, sb: Session, ds: SampleSource, o: CompareOptions, acc: DiffAccumulator): Promise<void> {
  const la = resolveLayout(sa, o.inputName, ds);
  const lb = resolveLayout(sb, o.inputName, ds);
  if (la.fixedBatch !== undefined && lb.fixedBatch !== undefined && la.fixedBatch !== lb.fixedBatch) {
    throw new SecateursError('RUNTIME_FIXED_BATCH', `the models have different fixed batch sizes (${la.fixedBatch} and ${lb.fixedBatch}); fix one with fixDims.`);
  }
  const batch = la.fixedBatch ?? lb.fixedBatch ?? effectiveBatch(la, o.batchSize ?? 256);
  const count = sampleCount(ds.count, o.limit);
  const gb = batchFeeds(ds.x, count, lb, lb.fixedBatch ?? batch);
  for (const ba of batchFeeds(ds.x, count, la, la.fixedBatch ?? batch)) {
    const bb = gb.next().value!;
    const ra = await sa.runRaw({ [la.name]: ba.feed }, [acc.outA]);
    const rb = await sb.runRaw({ [lb.name]: bb.feed }, [acc.outB]);
    acc.add(fromOrt(ra[acc.outA]!), fromOrt(rb[acc.outB]!), ba.size);
  }
}

class DiffAccumulator {
  private rows = 0;
  private elements = 0;
  private maxAbs = 0;
  private sumAbs = 0;
  private sumCos = 0;
  private agree = 0;
  private sumKl = 0;

  constructor(readonly outA: string, readonly outB: string) {}

  /** Adds the first `rows` rows (default: all of dim 0) of one pair of outputs. */
  add(ta: TensorData, tb: TensorData, rows: number | undefined): void {
    if (ta.dims.length !== tb.dims.length || ta.dims.some((d, i) => d !== tb.dims[i])) {
      throw new SecateursError('RUNTIME_OUTPUT_MISMATCH', `output '${this.outA}' of the first model has shape [${ta.dims.join(', ')}] but output '${this.outB}' of the second has [${tb.dims.join(', ')}].`);
    }
    const a = floatData(ta, `output '${this.outA}'`);
    const b = floatData(tb, `output '${this.outB}'`);
    const n = rows ?? (ta.dims.length > 0 ? ta.dims[0]! : 1);
    const k = ta.dims.length > 0 ? numel(ta.dims.slice(1)) : 1;
    for (let i = 0; i < n * k; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      if (!(d <= this.maxAbs)) this.maxAbs = d;
      this.sumAbs += d;
    }
    for (let r = 0; r < n; r++) {
      this.sumCos += cosine(a, b, r, k);
      if (argmax(a, r, k) === argmax(b, r, k)) this.agree++;
      this.sumKl += klDivergence(a, b, r, k);
    }
    this.rows += n;
    this.elements += n * k;
  }

  result(): CompareResult {
    const per = (s: number, n: number): number => (n > 0 ? s / n : NaN);
    return {
      count: this.rows,
      maxAbsDiff: this.maxAbs,
      meanAbsDiff: per(this.sumAbs, this.elements),
      meanCosine: per(this.sumCos, this.rows),
      top1Agreement: per(this.agree, this.rows),
      klDivergence: per(this.sumKl, this.rows),
    };
  }
}
