/**
 * The measurement loop of a sensitivity sweep. The swept weights are graph inputs (see {@link weightsAsInputs}),
 * so one onnxruntime session serves every (layer, level) cell: each run feeds the dense weights, with one of them
 * replaced by its masked copy. Level 0 feeds exactly the dense weights, so it reproduces the dense metrics bit for
 * bit and its KL divergence is exactly 0.
 */
import { SecateursError } from '../../errors.js';
import { cloneModel } from '../../ir/clone.js';
import type { Model } from '../../ir/graph.js';
import { crossEntropy, klDivergence, labelRank, type Feeds, type Session, type TensorData } from '../../runtime/index.js';
import { traceConstant } from '../targets.js';

/** The typed arrays float weights are fed as (float16 and bfloat16 as Uint16Array bits). */
export type WeightArray = Float32Array | Float64Array | Uint16Array;

/** What a sweep measures: `labels` (top-1, top-5, loss), `kl` (KL divergence to the dense outputs), or `both`. */
export type SweepMetric = 'labels' | 'kl' | 'both';

/** Metrics of one run; NaN where the metric was not measured. */
export interface CellMetrics {
  readonly top1: number;
  readonly top5: number;
  readonly loss: number;
  readonly kl: number;
}

/** The samples of a sweep, already laid out for the model input. */
export interface SweepData {
  /** `count` samples of `sampleDims` each (not in a SharedArrayBuffer: onnxruntime-node rejects those). */
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly count: number;
  readonly sampleDims: readonly number[];
  /** The model's fixed batch size, if its batch dim is fixed (the last batch is zero-padded). */
  readonly fixedBatch: number | undefined;
}

/** The fixed parts of every run. */
export interface SweepSetup {
  readonly inputName: string;
  readonly outputName: string;
  readonly batchSize: number;
  readonly metric: SweepMetric;
  /** The dense values of every swept weight, fed on each run. */
  readonly weights: readonly { readonly name: string; readonly tensor: TensorData }[];
}

/**
 * A copy of `model` whose named constant weights are graph inputs instead (a Constant node is removed and its
 * output becomes the input). Shapes and dtypes are recorded on the inputs.
 *
 * @example
 * ```ts
 * const m = weightsAsInputs(model, ['fc1/weight']);
 * m.graph.inputs.map((v) => v.name);   // ['input', 'fc1/weight']
 * ```
 */
export function weightsAsInputs(model: Model, names: readonly string[]): Model {
  const copy = cloneModel(model);
  const g = copy.graph;
  for (const name of names) {
    const v = g.requireValue(name);
    const found = traceConstant(v);
    if (!found || found.value !== v) throw new SecateursError('PRUNE_UNKNOWN_LAYER', `'${name}' is not a constant weight of graph '${g.name}'.`);
    if (found.storage === 'initializer') {
      g.initializers.splice(g.initializers.indexOf(v), 1);
      v.constant = undefined;
    } else {
      g.removeNode(v.producer!);
    }
    v.dtype = found.tensor.dtype;
    v.shape = [...found.tensor.dims];
    if (!g.inputs.includes(v)) g.inputs.push(v);
  }
  return copy;
}

/**
 * The dense weight with the masked elements (mask 0) zeroed, in a fresh array of the same type.
 *
 * @example
 * ```ts
 * maskedCopy(new Float32Array([1, 2]), Uint8Array.from([0, 1]));   // Float32Array [0, 2]
 * ```
 */
export function maskedCopy(dense: WeightArray, mask: Uint8Array): WeightArray {
  const out = dense.slice();
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) out[i] = 0;
  return out;
}

/** Running sums of one evaluation. */
class Tally {
  top1 = 0;
  top5 = 0;
  loss = 0;
  kl = 0;
  rows = 0;

  result(metric: SweepMetric): CellMetrics {
    const labels = metric !== 'kl';
    const per = (v: number, on: boolean): number => (on && this.rows > 0 ? v / this.rows : NaN);
    return { top1: per(this.top1, labels), top5: per(this.top5, labels), loss: per(this.loss, labels), kl: per(this.kl, metric !== 'labels') };
  }
}

/**
 * Runs the sweep's samples through one session, batch by batch.
 *
 * @example
 * ```ts
 * const ev = new SweepEvaluator(session, data, setup);
 * const dense = await ev.reference();
 * const cell = await ev.run({ name: 'fc1/weight', data: maskedCopy });
 * ```
 */
export class SweepEvaluator {
  private refLogits: Float32Array | undefined;
  private pad: Float32Array | undefined;

  constructor(private readonly session: Session, private readonly data: SweepData, private readonly setup: SweepSetup) {}

  /** Evaluates the dense weights and keeps their outputs as the KL reference. */
  async reference(): Promise<CellMetrics> {
    this.refLogits = undefined;
    let ref: Float32Array | undefined;
    const r = await this.evaluate(undefined, (logits, start, rows, k) => {
      ref ??= new Float32Array(this.data.count * k);
      ref.set(logits.subarray(0, rows * k), start * k);
    });
    this.refLogits = ref;
    return r;
  }

  /** Evaluates with one weight replaced by `override` (same dtype and shape as the dense one). */
  async run(override: { readonly name: string; readonly data: WeightArray }): Promise<CellMetrics> {
    if (this.setup.metric !== 'labels' && !this.refLogits) throw new SecateursError('PRUNE_WORKER', 'SweepEvaluator.run() before reference().');
    return this.evaluate(override);
  }

  private feedsFor(x: Float32Array, rows: number, override: { name: string; data: WeightArray } | undefined): Feeds {
    const feeds: Record<string, TensorData> = { [this.setup.inputName]: { dtype: 'float32', dims: [rows, ...this.data.sampleDims], data: x } };
    for (const w of this.setup.weights) feeds[w.name] = w.name === override?.name ? { ...w.tensor, data: override.data } : w.tensor;
    return feeds;
  }

  private batchInput(start: number, size: number): { x: Float32Array; rows: number } {
    const ss = this.data.sampleDims.reduce((a, b) => a * b, 1);
    const view = this.data.x.subarray(start * ss, (start + size) * ss);
    const fixed = this.data.fixedBatch;
    if (fixed === undefined || size === fixed) return { x: view, rows: size };
    this.pad ??= new Float32Array(fixed * ss);
    this.pad.fill(0);
    this.pad.set(view);
    return { x: this.pad, rows: fixed };
  }

  private async evaluate(override: { name: string; data: WeightArray } | undefined, keep?: (logits: Float32Array, start: number, rows: number, k: number) => void): Promise<CellMetrics> {
    const { count, y } = this.data;
    const batch = this.data.fixedBatch ?? this.setup.batchSize;
    const tally = new Tally();
    const out = this.setup.outputName;
    for (let start = 0; start < count; start += batch) {
      const size = Math.min(batch, count - start);
      const { x, rows } = this.batchInput(start, size);
      const res = await this.session.run(this.feedsFor(x, rows, override), [out]);
      const t = res[out]!;
      if (!(t.data instanceof Float32Array)) throw new SecateursError('PRUNE_WORKER', `output '${out}' is ${t.dtype}; sensitivity sweeps read float32 logits.`);
      const logits = t.data;
      const k = logits.length / rows;
      keep?.(logits, start, size, k);
      for (let r = 0; r < size; r++) this.score(tally, logits, r, k, y[start + r]!, start);
    }
    return tally.result(this.setup.metric);
  }

  private score(t: Tally, logits: Float32Array, r: number, k: number, label: number, start: number): void {
    if (this.setup.metric !== 'kl') {
      const rank = labelRank(logits, r, k, label);
      if (rank < 1) t.top1++;
      if (rank < 5) t.top5++;
      t.loss += crossEntropy(logits, r, k, label);
    }
    if (this.setup.metric !== 'labels' && this.refLogits) {
      const row = (start + r) * k;
      t.kl += klDivergence(this.refLogits.subarray(row, row + k), logits.subarray(r * k, (r + 1) * k), 0, k);
    }
    t.rows++;
  }
}
