/**
 * Knowledge distillation: a teacher model (any ONNX model onnxruntime runs) scores every training batch, and its
 * logits and chosen intermediate tensors become extra inputs of the student's loss graph:
 * α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(s, y) + Σ wᵢ·MSE(studentᵢ, teacherᵢ).
 * @module
 */
import { assertInputShape } from '../data/shape.js';
import type { Dataset } from '../data/types.js';
import { SecateursError } from '../errors.js';
import type { Model } from '../ir/graph.js';
import { loadModel } from '../onnx/index.js';
import { argmax, createSession, exposeValues, floatData, type Session, type TensorData } from '../runtime/index.js';

/** One intermediate tensor the student learns to reproduce: MSE between the two, weighted. */
export interface FeaturePair {
  /** Value name in the student model. */
  readonly student: string;
  /** Value name in the teacher model; its shape must equal the student's. */
  readonly teacher: string;
  /** Weight (> 0) of this MSE term; default 1. */
  readonly weight?: number;
}

/**
 * Options of distillation ({@link TrainOptions.distill}). The loss is α·T²·KL(softmax(t/T) ‖ softmax(s/T)) +
 * (1 − α)·CE + Σ wᵢ·MSEᵢ; the cross-entropy term is left out at α = 1 (pure distillation, which needs no labels).
 */
export interface DistillOptions {
  /** The teacher: a model, or the path of an .onnx file. It runs in onnxruntime on every batch (inference only). */
  readonly teacher: Model | string;
  /** Weight of the soft (KL) term, in [0, 1]; default 0.9 (the hard term weighted low, as Hinton et al. advise). */
  readonly alpha?: number;
  /** Softmax temperature T > 0 of the KL term; default 4. */
  readonly temperature?: number;
  /** Intermediate tensors to match (MSE); default none. */
  readonly features?: readonly FeaturePair[];
  /** Teacher output read as logits; default its first output. It must have the student logits' shape. */
  readonly teacherOutput?: string;
}

/** Distillation settings with defaults filled in. */
export interface ResolvedDistill {
  readonly alpha: number;
  readonly temperature: number;
  readonly features: readonly Required<FeaturePair>[];
  readonly teacherOutput: string;
}

export const DEFAULT_ALPHA = 0.9;
export const DEFAULT_TEMPERATURE = 4;

/** The teacher model: `teacher` itself, or loaded from its path (errors name the file). */
export async function loadTeacher(d: DistillOptions): Promise<Model> {
  return typeof d.teacher === 'string' ? loadModel(d.teacher) : d.teacher;
}

/**
 * Every problem with the distillation options, as sentences (empty when none): α outside [0, 1], T ≤ 0, bad weights,
 * tensors missing from the student or the teacher, nothing to distill.
 */
export function distillProblems(d: DistillOptions, student: Model, teacher: Model): string[] {
  const p: string[] = [];
  const alpha = d.alpha ?? DEFAULT_ALPHA;
  const temp = d.temperature ?? DEFAULT_TEMPERATURE;
  if (!(alpha >= 0 && alpha <= 1)) p.push(`'distill.alpha' must be in [0, 1], got ${alpha}`);
  if (!(temp > 0 && Number.isFinite(temp))) p.push(`'distill.temperature' must be a finite number > 0, got ${temp}`);
  const out = d.teacherOutput;
  if (out !== undefined && !teacher.graph.outputs.some((v) => v.name === out)) {
    p.push(`'distill.teacherOutput' '${out}' is not an output of the teacher (its outputs: ${names(teacher.graph.outputs)})`);
  }
  if (out === undefined && teacher.graph.outputs.length === 0) p.push(`the teacher graph '${teacher.graph.name}' has no outputs`);
  (d.features ?? []).forEach((f, i) => {
    const at = `'distill.features[${i}]'`;
    if (!student.graph.value(f.student)) p.push(`${at}.student '${f.student}' is not a value of the student graph '${student.graph.name}'`);
    if (!teacher.graph.value(f.teacher)) p.push(`${at}.teacher '${f.teacher}' is not a value of the teacher graph '${teacher.graph.name}'`);
    const w = f.weight ?? 1;
    if (!(w > 0 && Number.isFinite(w))) p.push(`${at}.weight must be a finite number > 0, got ${w}`);
  });
  if (alpha === 0 && (d.features ?? []).length === 0) p.push(`'distill.alpha' 0 with no 'distill.features' leaves nothing to distill`);
  return p;
}

/** Defaults filled in (call after {@link distillProblems} found none). */
export function resolveDistill(d: DistillOptions, teacher: Model): ResolvedDistill {
  return {
    alpha: d.alpha ?? DEFAULT_ALPHA,
    temperature: d.temperature ?? DEFAULT_TEMPERATURE,
    features: (d.features ?? []).map((f) => ({ student: f.student, teacher: f.teacher, weight: f.weight ?? 1 })),
    teacherOutput: d.teacherOutput ?? teacher.graph.outputs[0]!.name,
  };
}

/** What the checkpoint records of a distillation run (compared on resume): settings and the teacher's identity. */
export function distillConfig(d: DistillOptions, r: ResolvedDistill, teacher: Model): Record<string, unknown> {
  return {
    teacher: { source: typeof d.teacher === 'string' ? d.teacher : 'model', graph: teacher.graph.name, weights: weightDigest(teacher) },
    alpha: r.alpha, temperature: r.temperature, teacherOutput: r.teacherOutput,
    features: r.features.map((f) => ({ student: f.student, teacher: f.teacher, weight: f.weight })),
  };
}

/** FNV-1a over every initializer's name and bytes: tells one teacher from another. */
function weightDigest(m: Model): string {
  let h = 0x811c9dc5;
  const mix = (b: number): void => { h = Math.imul(h ^ b, 0x01000193); };
  for (const v of m.graph.initializers) {
    for (let i = 0; i < v.name.length; i++) mix(v.name.charCodeAt(i) & 0xff);
    const bytes = v.constant?.bytes();
    if (bytes) for (let i = 0; i < bytes.length; i++) mix(bytes[i]!);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The same samples with every label set to −1, the trainer's mark for "no label": what pure distillation (α = 1)
 * trains on. Validation on such data reports agreement with the teacher instead of accuracy.
 *
 * @example
 * ```ts
 * const images = unlabeled(take(await loadMnist({ split: 'train' }), 5000));
 * await train(pruned, images, { epochs: 2, masks: zeroMasks(pruned), distill: { teacher: dense, alpha: 1 } });
 * ```
 */
export function unlabeled(ds: Dataset): Dataset {
  return { ...ds, y: new Int32Array(ds.count).fill(-1) };
}

/** Number of labels that are not −1 (labelled samples) among the first `n`. */
export function labelledCount(y: Int32Array, n = y.length): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (y[i]! >= 0) c++;
  return c;
}

/** Rows (of `n`, `k` values each) on which two score matrices have the same arg-max. */
export function countAgreement(a: Float32Array, b: Float32Array, n: number, k: number): number {
  let same = 0;
  for (let r = 0; r < n; r++) if (argmax(a, r, k) === argmax(b, r, k)) same++;
  return same;
}

/** One batch of teacher outputs, fed to the student's loss graph. */
export interface TeacherOutput {
  readonly logits: TensorData;
  /** Aligned with {@link ResolvedDistill.features}. */
  readonly features: readonly TensorData[];
  /** Bytes of these fresh arrays (garbage after the step). */
  readonly bytes: number;
}

/** The teacher in one onnxruntime session that returns its logits and the matched tensors for a batch. */
export class Teacher {
  private constructor(
    private readonly session: Session,
    private readonly input: string,
    private readonly sampleDims: readonly number[],
    /** The teacher's fixed batch size, if it has one. */
    readonly fixedBatch: number | undefined,
    private readonly logits: string,
    private readonly features: readonly string[],
  ) {}

  /**
   * Loads the teacher with its logits output and the chosen feature tensors exposed, and checks that its input takes
   * the dataset's samples.
   *
   * @throws SecateursError `TRAIN_OPTIONS` when the teacher has no single data input; `DATA_SHAPE_MISMATCH`.
   */
  static async create(model: Model, ds: Dataset, r: ResolvedDistill, threads: number): Promise<Teacher> {
    const inits = new Set(model.graph.initializers);
    const inputs = model.graph.inputs.filter((v) => !inits.has(v));
    if (inputs.length !== 1) {
      throw new SecateursError('TRAIN_OPTIONS', `the teacher graph '${model.graph.name}' has ${inputs.length} data inputs (${names(inputs)}); distillation needs exactly one.`);
    }
    const input = inputs[0]!;
    const fit = assertInputShape(ds, input.shape ?? [], input.name);
    const exposed = [...new Set([r.teacherOutput, ...r.features.map((f) => f.teacher)])];
    const session = await createSession(exposeValues(model, exposed), { threads, memoryArena: false });
    return new Teacher(session, input.name, fit.sampleShape, fit.fixedBatch ?? undefined, r.teacherOutput, r.features.map((f) => f.teacher));
  }

  /** The teacher's outputs for `n` samples `x` (laid out as the dataset's samples). */
  async run(x: Float32Array, n: number): Promise<TeacherOutput> {
    const out = await this.session.run({ [this.input]: { dtype: 'float32', dims: [n, ...this.sampleDims], data: x } });
    const logits = out[this.logits]!;
    const features = this.features.map((f) => out[f]!);
    const bytes = outputBytes(out);
    floatData(logits, `teacher output '${this.logits}'`);
    return { logits, features, bytes };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Checks on one real batch that each matched pair has equal shapes and the teacher's logits the student's shape; one
 * SecateursError `TRAIN_DISTILL_SHAPE` lists every pair that differs, naming both tensors and shapes.
 */
export async function checkPairShapes(
  student: { readonly model: Model; readonly input: string; readonly sampleDims: readonly number[]; readonly logits: string },
  teacher: Teacher, r: ResolvedDistill, x: Float32Array, n: number,
): Promise<void> {
  const names = [...new Set([student.logits, ...r.features.map((f) => f.student)])];
  const session = await createSession(exposeValues(student.model, names), { memoryArena: false, optimization: 'disabled' });
  let got: Record<string, TensorData>;
  try {
    got = await session.run({ [student.input]: { dtype: 'float32', dims: [n, ...student.sampleDims], data: x } });
  } finally {
    await session.release();
  }
  const t = await teacher.run(x, n);
  const shape = (d: readonly number[]): string => `[${d.join(', ')}]`;
  const problems: string[] = [];
  const compare = (s: string, sd: readonly number[], tn: string, td: readonly number[], what: string): void => {
    if (sd.length !== td.length || sd.some((v, i) => v !== td[i])) problems.push(`${what}: student '${s}' is ${shape(sd)} but teacher '${tn}' is ${shape(td)}`);
  };
  compare(student.logits, got[student.logits]!.dims, r.teacherOutput, t.logits.dims, 'logits');
  r.features.forEach((f, i) => compare(f.student, got[f.student]!.dims, f.teacher, t.features[i]!.dims, `distill.features[${i}]`));
  if (problems.length > 0) {
    throw new SecateursError('TRAIN_DISTILL_SHAPE', `distillation pairs must have equal shapes (measured on a batch of ${n}; structured pruning changes channel counts, so match tensors whose shapes it kept):\n  - ${problems.join('\n  - ')}`);
  }
}

/** Bytes held by a run's outputs. */
export function outputBytes(out: Readonly<Record<string, TensorData>>): number {
  return Object.values(out).reduce((a, t) => a + (ArrayBuffer.isView(t.data) ? t.data.byteLength : 0), 0);
}

function names(vs: readonly { readonly name: string }[]): string {
  return vs.length > 0 ? vs.map((v) => `'${v.name}'`).join(', ') : 'none';
}
