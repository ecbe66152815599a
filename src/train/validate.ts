import { batches } from '../data/batch.js';
import { assertInputShape } from '../data/shape.js';
import type { Dataset } from '../data/types.js';
import { SecateursError } from '../errors.js';
import { cloneModel } from '../ir/clone.js';
import type { Model } from '../ir/graph.js';
import { argmax, createSession, crossEntropy, floatData, klDivergence, labelRank, type Session, type TensorData } from '../runtime/index.js';
import type { Teacher } from './distill.js';
import { dataInput } from './step.js';

/** What one validation pass measured. Accuracy and loss cover the labelled samples only (NaN when there are none). */
export interface Validation {
  /** Mean cross-entropy over labelled samples. */
  readonly loss: number;
  readonly top1: number;
  /** Samples with a label (not −1). */
  readonly labelled: number;
  /** With a teacher: fraction of samples whose top-1 equals the teacher's. */
  readonly agreement?: number;
  /** With a teacher: mean KL(softmax(teacher) ‖ softmax(student)) at temperature 1. */
  readonly kl?: number;
}

/**
 * The inference graph with the trained tensors (parameters, BatchNorm statistics) turned into graph inputs, in one
 * onnxruntime session created once per run: every validation feeds the trainer's current arrays zero-copy, so no
 * exported model, encoded bytes or second weight copy is made per epoch.
 */
export class Validator {
  private readonly feeds: Record<string, TensorData> = {};

  private constructor(
    private readonly session: Session,
    private readonly input: string,
    private readonly logits: string,
    private readonly sampleDims: readonly number[],
    private readonly fixedBatch: number | undefined,
  ) {}

  /**
   * @param tensors the trained tensors by initializer name, with their dims; fed from these arrays on every pass.
   */
  static async create(
    model: Model, tensors: ReadonlyMap<string, { readonly dims: readonly number[]; readonly data: Float32Array }>, ds: Dataset,
    o: { readonly threads: number; readonly inputName?: string | undefined; readonly outputName?: string | undefined },
  ): Promise<Validator> {
    const copy = cloneModel(model);
    const g = copy.graph;
    for (const name of tensors.keys()) {
      const v = g.requireValue(name);
      const k = g.initializers.indexOf(v);
      if (k >= 0) g.initializers.splice(k, 1);
      v.shape = [...v.constant!.dims];
      v.constant = undefined;
      if (!g.inputs.includes(v)) g.inputs.push(v);
    }
    const input = dataInput(model, o.inputName);
    const logits = o.outputName ?? model.graph.outputs[0]!.name;
    g.outputs.splice(0, g.outputs.length, g.requireValue(logits));
    const fit = assertInputShape(ds, g.requireValue(input).shape ?? [], input);
    const session = await createSession(copy, { threads: o.threads, memoryArena: false });
    const v = new Validator(session, input, logits, fit.sampleShape, fit.fixedBatch ?? undefined);
    for (const [name, t] of tensors) v.feeds[name] = { dtype: 'float32', dims: t.dims, data: t.data };
    return v;
  }

  /** Scores the model (with the arrays' current values) on `ds`; with a teacher, also agreement and KL against it. */
  async run(ds: Dataset, batchSize: number, teacher: Teacher | undefined): Promise<Validation> {
    const fixed = this.fixedBatch ?? teacher?.fixedBatch;
    const size = fixed ?? batchSize;
    const per = this.sampleDims.reduce((a, b) => a * b, 1);
    const padded = fixed !== undefined ? new Float32Array(size * per) : undefined;
    const sums = { loss: 0, hits: 0, labelled: 0, agree: 0, kl: 0, count: 0 };
    for (const b of batches(ds, { batchSize: size, reuseBuffers: true })) {
      // A fixed batch dim takes exactly `size` rows: the tail batch is zero-padded and its padding ignored.
      const x = padded && b.size < size ? (padded.fill(0).set(b.x.subarray(0, b.size * per)), padded) : b.x;
      const n = padded ? size : b.size;
      const out = await this.session.run({ ...this.feeds, [this.input]: { dtype: 'float32', dims: [n, ...this.sampleDims], data: x } }, [this.logits]);
      const scores = floatData(out[this.logits]!, `output '${this.logits}'`);
      const k = out[this.logits]!.dims.slice(1).reduce((a, c) => a * c, 1);
      if (ds.numClasses > k) throw new SecateursError('RUNTIME_OUTPUT_SHAPE', `output '${this.logits}' has ${k} values per sample but the validation set has ${ds.numClasses} classes.`);
      for (let r = 0; r < b.size; r++) {
        const label = b.y[r]!;
        if (label < 0) continue;
        sums.labelled++;
        if (labelRank(scores, r, k, label) < 1) sums.hits++;
        sums.loss += crossEntropy(scores, r, k, label);
      }
      if (teacher) {
        const t = floatData((await teacher.run(x, n)).logits, 'teacher logits');
        for (let r = 0; r < b.size; r++) {
          if (argmax(scores, r, k) === argmax(t, r, k)) sums.agree++;
          sums.kl += klDivergence(t, scores, r, k);
        }
      }
      sums.count += b.size;
    }
    const per1 = (s: number, n: number): number => (n > 0 ? s / n : NaN);
    return {
      loss: per1(sums.loss, sums.labelled), top1: per1(sums.hits, sums.labelled), labelled: sums.labelled,
      ...(teacher ? { agreement: per1(sums.agree, sums.count), kl: per1(sums.kl, sums.count) } : {}),
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
