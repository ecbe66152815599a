import { batchNormToTraining, buildGradientGraph, type BatchNormStat } from '../autodiff/index.js';
import { assertInputShape } from '../data/shape.js';
import type { Dataset } from '../data/types.js';
import { SecateursError } from '../errors.js';
import type { Model } from '../ir/graph.js';
import { createSession, floatData, type Session, type TensorData } from '../runtime/index.js';
import { countAgreement, labelledCount, outputBytes, type ResolvedDistill, type TeacherOutput } from './distill.js';
import { trainingLoss, type LossNames } from './loss.js';
import type { ParamInfo } from './params.js';

/** What one forward + backward run gives. */
export interface StepOutput {
  /** Mean loss over the batch. */
  readonly loss: number;
  /** Samples whose top-1 prediction equals the label (unlabelled samples, label −1, never count). */
  readonly correct: number;
  /** Samples that have a label (not −1). */
  readonly labelled: number;
  /** Samples whose top-1 prediction equals the teacher's; undefined without a teacher. */
  readonly agree: number | undefined;
  /** One gradient per parameter, aligned with the parameter list. */
  readonly grads: Float32Array[];
  /** Batch mean and biased variance of every BatchNormalization, aligned with {@link GradientRunner.batchNorms}. */
  readonly bnStats: { readonly mean: Float32Array; readonly var: Float32Array }[];
  /** Bytes of the fresh arrays onnxruntime returned (garbage once the step is done). */
  readonly bytes: number;
}

/** Options of {@link GradientRunner.create}. */
export interface RunnerOptions {
  readonly labelSmoothing: number;
  readonly threads: number;
  /** The model input the samples feed; default its only data input. */
  readonly inputName?: string;
  /** The model output read as logits; default its first output. */
  readonly outputName?: string;
  /** Distillation terms; teacher outputs are then fed to every run. */
  readonly distill?: ResolvedDistill | undefined;
}

/**
 * The forward + loss + backward graph of a classifier in one onnxruntime session, created once: data, labels and
 * parameters are fed on every run (parameters as the caller's arrays, zero-copy); loss, logits and gradients come back.
 */
export class GradientRunner {
  /** Dims of one sample as the model input wants them. */
  readonly sampleDims: readonly number[];
  /** The model's batch size when its batch dim is fixed. */
  readonly fixedBatch: number | undefined;
  private readonly paramFeeds: Record<string, TensorData> = {};
  private readonly fetches: readonly string[];
  private gradInto: Record<string, TensorData> | undefined;

  private constructor(
    private readonly session: Session,
    private readonly names: LossNames & { readonly input: string; readonly logits: string; readonly grads: readonly string[] },
    shape: { readonly sampleDims: readonly number[]; readonly fixedBatch: number | undefined },
    private readonly params: readonly ParamInfo[],
    /** The BatchNormalization nodes trained with batch statistics, whose running statistics the trainer updates. */
    readonly batchNorms: readonly BatchNormStat[],
  ) {
    this.sampleDims = shape.sampleDims;
    this.fixedBatch = shape.fixedBatch;
    this.fetches = [names.loss, names.logits, ...names.grads, ...batchNorms.flatMap((s) => [s.mean, s.var])];
  }

  /**
   * Builds the gradient graph of `model` with a softmax cross-entropy loss over its logits (int32 labels fed as is),
   * or the distillation loss of `o.distill`, and loads it. BatchNormalization nodes are rewritten to train on batch
   * statistics, which the graph also returns.
   *
   * @throws SecateursError `TRAIN_OPTIONS` for an ambiguous or unknown input/output; the autodiff module's errors
   *   (`AUTODIFF_NO_RULE`, …) when an op cannot be differentiated; `DATA_SHAPE_MISMATCH`; `RUNTIME_LOAD`.
   */
  static async create(model: Model, params: readonly ParamInfo[], ds: Dataset, o: RunnerOptions): Promise<GradientRunner> {
    const input = dataInput(model, o.inputName);
    const logits = o.outputName ?? model.graph.outputs[0]?.name;
    if (!logits || !model.graph.outputs.some((v) => v.name === logits)) {
      throw new SecateursError('TRAIN_OPTIONS', `the model has no output '${logits ?? ''}'; its outputs are: ${model.graph.outputs.map((v) => `'${v.name}'`).join(', ')}.`);
    }
    const fit = assertInputShape(ds, model.graph.requireValue(input).shape ?? [], input);
    const bn = batchNormToTraining(model);
    const dynamic = bn.stats.filter((s) => s.spatialSize === undefined).map((s) => `'${s.node}'`);
    if (dynamic.length > 0) throw new SecateursError('TRAIN_OPTIONS', `BatchNormalization ${dynamic.join(', ')} ha${dynamic.length > 1 ? 've' : 's'} inputs of unknown spatial size, so running statistics cannot be updated; fix the input dims.`);
    const lm = trainingLoss(bn.model, logits, { labelSmoothing: o.labelSmoothing, distill: o.distill });
    const gg = buildGradientGraph(lm.model, { loss: lm.names.loss, wrt: params.map((p) => p.name), keepOutputs: true });
    const session = await createSession(gg.model, { threads: o.threads, memoryArena: false });
    const names = { ...lm.names, input, logits, grads: gg.params.map((p) => p.grad) };
    return new GradientRunner(session, names, { sampleDims: fit.sampleShape, fixedBatch: fit.fixedBatch ?? undefined }, params, bn.stats);
  }

  /** Feeds these arrays as the parameters from now on (kept by reference: update them in place). */
  bindParams(arrays: readonly Float32Array[]): void {
    this.params.forEach((p, k) => { this.paramFeeds[p.name] = { dtype: 'float32', dims: p.dims, data: arrays[k]! }; });
  }

  /**
   * Has onnxruntime write the gradients straight into these arrays (the optimizer's gradient memory), one per
   * parameter, instead of into buffers of its own that are then copied: one parameter-sized buffer less at the peak
   * of every step. `run` then returns these arrays as the gradients.
   */
  bindGrads(arrays: readonly Float32Array[]): void {
    if (arrays.length !== this.params.length) throw new RangeError(`bindGrads() got ${arrays.length} arrays for ${this.params.length} parameters.`);
    this.gradInto = Object.fromEntries(this.params.map((p, k) => [this.names.grads[k]!, { dtype: 'float32', dims: p.dims, data: arrays[k]! } as TensorData]));
  }

  /** Whether runs take labels (false for pure distillation). */
  get takesLabels(): boolean {
    return this.names.labels !== undefined;
  }

  /** One forward + backward pass over `n` samples `x` with labels `y` (and the teacher's outputs when distilling). */
  async run(x: Float32Array, y: Int32Array, n: number, teacher?: TeacherOutput): Promise<StepOutput> {
    const { names } = this;
    const feeds: Record<string, TensorData> = { ...this.paramFeeds, [names.input]: { dtype: 'float32', dims: [n, ...this.sampleDims], data: x } };
    if (names.labels) feeds[names.labels] = { dtype: 'int32', dims: [n], data: y.subarray(0, n) };
    if (names.teacherLogits || names.teacherFeatures.length > 0) {
      if (!teacher) throw new SecateursError('TRAIN_OPTIONS', 'this gradient graph distils: run() needs the teacher outputs of the batch.');
      if (names.teacherLogits) feeds[names.teacherLogits] = teacher.logits;
      names.teacherFeatures.forEach((f, i) => { feeds[f] = teacher.features[i]!; });
    }
    const out = await this.session.run(feeds, this.fetches, this.gradInto);
    const loss = floatData(out[names.loss]!, 'loss')[0]!;
    const logits = out[names.logits]!;
    const scores = floatData(logits, 'logits');
    const grads = names.grads.map((g) => floatData(out[g]!, g));
    const bnStats = this.batchNorms.map((s) => ({ mean: floatData(out[s.mean]!, s.mean), var: floatData(out[s.var]!, s.var) }));
    const k = logits.dims.slice(1).reduce((a, b) => a * b, 1);
    const agree = teacher ? countAgreement(scores, floatData(teacher.logits, 'teacher logits'), n, k) : undefined;
    const bytes = outputBytes(out);
    return { loss, correct: countCorrect(scores, logits.dims, y, n), labelled: labelledCount(y, n), agree, grads, bnStats, bytes };
  }

  /** The gradient output name of parameter `k`. */
  gradName(k: number): string {
    return this.names.grads[k] ?? `#${k}`;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The model's data input: `name`, or its only graph input that is not an initializer. */
export function dataInput(model: Model, name: string | undefined): string {
  const g = model.graph;
  const inits = new Set(g.initializers);
  const candidates = g.inputs.filter((v) => !inits.has(v)).map((v) => v.name);
  if (name !== undefined) {
    if (!candidates.includes(name)) throw new SecateursError('TRAIN_OPTIONS', `the model has no data input '${name}'; its inputs are: ${candidates.map((c) => `'${c}'`).join(', ')}.`);
    return name;
  }
  if (candidates.length !== 1) {
    throw new SecateursError('TRAIN_OPTIONS', `the model has ${candidates.length} data inputs (${candidates.map((c) => `'${c}'`).join(', ')}); pass 'inputName' to choose the one the samples feed.`);
  }
  return candidates[0]!;
}

/** Top-1 hits of `n` rows of logits against labels `y`. */
export function countCorrect(logits: Float32Array, dims: readonly number[], y: Int32Array, n: number): number {
  const k = dims.slice(1).reduce((a, b) => a * b, 1);
  let hits = 0;
  for (let r = 0; r < n; r++) {
    let best = 0;
    let bestV = logits[r * k]!;
    for (let c = 1; c < k; c++) {
      const v = logits[r * k + c]!;
      if (v > bestV) { bestV = v; best = c; }
    }
    if (best === y[r]) hits++;
  }
  return hits;
}
