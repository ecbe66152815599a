import { InferenceSession, type Tensor as OrtTensor } from 'onnxruntime-node';
import { SecateursError } from '../errors.js';
import { cloneModel } from '../ir/clone.js';
import type { DataType } from '../ir/dtype.js';
import type { Dim, Graph, Model } from '../ir/graph.js';
import { decodeModel, encodeModel, loadModel } from '../onnx/index.js';
import { fromOrt, irType, toOrt, type Feeds, type TensorData } from './tensors.js';

/** What a session can be created from: an IR model, the bytes of an .onnx file, or its path. */
export type ModelSource = Model | Uint8Array | string;

/** Graph optimization levels of onnxruntime. */
export type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Options of {@link createSession}; every field is optional. */
export interface SessionOptions {
  /**
   * Intra-op threads. Default **1**: results are reproducible and timings do not depend on how many sessions are alive
   * (pruning keeps several: reference, candidate, capture, gradient graph), and no spinning thread pool competes with
   * the JS bookkeeping between runs. `0` means onnxruntime's own default (one thread per physical core). Outputs
   * were measured bit-identical with 1 and 2 threads for every zoo model (Conv, Gemm, MatMul, BatchNorm, attention),
   * so raising it changes speed, not results.
   */
  readonly threads?: number;
  /** Inter-op threads (used only by the parallel executor); default 1. */
  readonly interOpThreads?: number;
  /** Graph optimization level; default `all` (what deployment gets). */
  readonly optimization?: OptimizationLevel;
  /**
   * onnxruntime's CPU memory arena and memory-pattern planning; default true (fastest for inference). Training graphs
   * turn both off: the arena keeps every block it ever grew, and with them off a resnet-small training run peaked at
   * 363 MiB instead of 618 MiB, at the same measured speed.
   */
  readonly memoryArena?: boolean;
  /**
   * Sizes for symbolic dimensions (`dim_param`s), e.g. `{ N: 32 }`. onnxruntime-node silently ignores
   * `freeDimensionOverrides`, so the graph itself is rewritten with {@link fixDims} before loading (a path or bytes
   * source is decoded for this; without `freeDims` it goes to onnxruntime untouched).
   */
  readonly freeDims?: Readonly<Record<string, number>>;
  /**
   * Where onnxruntime writes the graph it runs, after its optimizations at `optimization` (an ONNX file). This is how
   * fusions are checked (QDQ pairs becoming QLinearConv, DequantizeLinear + MatMul becoming MatMulNBits). The file is
   * written while the session is created; the folder must exist.
   */
  readonly optimizedModelPath?: string;
}

/** Name, element type and shape of a session input or output as onnxruntime reports it (`null`: unknown dim). */
export interface IOInfo {
  readonly name: string;
  /** Undefined for non-tensor values and types onnxruntime-node cannot exchange. */
  readonly dtype: DataType | undefined;
  /** `[]` for scalars and for values of unknown rank (onnxruntime reports both alike). */
  readonly shape: readonly Dim[];
}

/**
 * A loaded onnxruntime session. Runs on one session serialize and block the event loop while they compute.
 *
 * @example
 * ```ts
 * const s = await createSession(model);
 * const out = await s.run({ x: { dtype: 'float32', dims: [1, 4], data: new Float32Array(4) } });
 * out[s.outputNames[0]!]!.dims;   // e.g. [1, 3]
 * await s.release();
 * ```
 */
export class Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly IOInfo[];
  readonly outputs: readonly IOInfo[];
  /** @internal The onnxruntime session; only the runtime module touches it. */
  readonly ort: InferenceSession;
  private released = false;

  /** @internal Use {@link createSession}. */
  constructor(ort: InferenceSession) {
    this.ort = ort;
    this.inputNames = [...ort.inputNames];
    this.outputNames = [...ort.outputNames];
    this.inputs = ort.inputMetadata.map(ioInfo);
    this.outputs = ort.outputMetadata.map(ioInfo);
  }

  /** Info of input `name`, or a SecateursError listing the inputs. */
  input(name: string): IOInfo {
    return findIO(this.inputs, name, 'input');
  }

  /** Info of output `name`, or a SecateursError listing the outputs. */
  output(name: string): IOInfo {
    return findIO(this.outputs, name, 'output');
  }

  /**
   * Runs the model; returns the requested outputs (default: all) as TensorData (fresh arrays, safe to keep).
   *
   * `into` names outputs to be written into the caller's arrays (exact dtype and shape): onnxruntime computes them
   * there instead of in buffers of its own, which lowers the peak memory of a run by their size (the trainer's
   * gradients land in the optimizer's memory this way). Their entries in the result are the caller's arrays.
   */
  async run(feeds: Feeds, outputNames?: readonly string[], into?: Readonly<Record<string, TensorData>>): Promise<Record<string, TensorData>> {
    const ortFeeds: Record<string, OrtTensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t, `feed '${name}'`);
    let res: Record<string, OrtTensor>;
    if (into && Object.keys(into).length > 0) {
      const fetches: Record<string, OrtTensor | null> = {};
      for (const name of outputNames ?? this.outputNames) fetches[name] = into[name] ? toOrt(into[name], `output '${name}'`) : null;
      const unknown = Object.keys(into).filter((n) => !(n in fetches));
      if (unknown.length > 0) throw new RangeError(`run(): 'into' names ${unknown.map((n) => `'${n}'`).join(', ')}, which ${unknown.length > 1 ? 'are' : 'is'} not among the requested outputs.`);
      res = await this.runRaw(ortFeeds, fetches);
    } else {
      res = await this.runRaw(ortFeeds, outputNames);
    }
    const out: Record<string, TensorData> = {};
    // onnxruntime-node returns a copy of a pre-allocated output as well; the caller's array is what is handed back.
    for (const [name, t] of Object.entries(res)) out[name] = into?.[name] ?? fromOrt(t, `output '${name}'`);
    return out;
  }

  /** @internal Runs with onnxruntime tensors (no conversion); errors name the feeds' shapes. */
  async runRaw(feeds: Record<string, OrtTensor>, outputs?: readonly string[] | Record<string, OrtTensor | null>): Promise<Record<string, OrtTensor>> {
    if (this.released) throw new SecateursError('RUNTIME_RELEASED', 'session.run() called after release().');
    try {
      const res = outputs ? await this.ort.run(feeds, outputs as InferenceSession.FetchesType) : await this.ort.run(feeds);
      return res as Record<string, OrtTensor>;
    } catch (e) {
      const shapes = Object.entries(feeds).map(([k, t]) => `${k}: ${t.type} [${t.dims.join(', ')}]`).join('; ');
      throw new SecateursError('RUNTIME_RUN', `onnxruntime run failed with feeds {${shapes}}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Frees the native session; further runs throw. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.ort.release();
  }
}

function ioInfo(m: InferenceSession.ValueMetadata): IOInfo {
  if (!m.isTensor) return { name: m.name, dtype: undefined, shape: [] };
  return { name: m.name, dtype: irType(m.type), shape: m.shape.map((d) => (d === '' || d === -1 ? null : d)) };
}

function findIO(list: readonly IOInfo[], name: string, kind: string): IOInfo {
  const io = list.find((i) => i.name === name);
  if (!io) throw new SecateursError('RUNTIME_UNKNOWN_IO', `the model has no ${kind} '${name}'; its ${kind}s are: ${list.map((i) => `'${i.name}'`).join(', ')}.`);
  return io;
}

/**
 * Loads a model into onnxruntime. Defaults: 1 intra-op thread, 1 inter-op thread, optimization `all`, sequential
 * execution, only errors logged.
 *
 * @throws SecateursError `RUNTIME_LOAD` when onnxruntime rejects the model (its message included).
 * @example
 * ```ts
 * const s = await createSession('model.onnx', { threads: 0, freeDims: { N: 32 } });
 * s.inputs[0]!.shape;   // [32, 1, 28, 28]
 * ```
 */
export async function createSession(source: ModelSource, options: SessionOptions = {}): Promise<Session> {
  const opts = ortOptions(options);
  const prepared = await prepareSource(source, options.freeDims);
  try {
    const ort = typeof prepared === 'string' ? await InferenceSession.create(prepared, opts) : await InferenceSession.create(prepared, opts);
    return new Session(ort);
  } catch (e) {
    const what = typeof source === 'string' ? `'${source}'` : source instanceof Uint8Array ? `model bytes (${source.byteLength} B)` : `model graph '${source.graph.name}'`;
    throw new SecateursError('RUNTIME_LOAD', `onnxruntime could not load ${what}: ${(e as Error).message}`, { cause: e });
  }
}

function ortOptions(o: SessionOptions): InferenceSession.SessionOptions {
  const threads = o.threads ?? 1;
  const inter = o.interOpThreads ?? 1;
  for (const [k, v] of [['threads', threads], ['interOpThreads', inter]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 1024) throw new RangeError(`'${k}' must be an integer in [0, 1024], got ${v}.`);
  }
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: inter,
    graphOptimizationLevel: o.optimization ?? 'all',
    executionMode: 'sequential',
    logSeverityLevel: 3,
    ...(o.memoryArena === false ? { enableCpuMemArena: false, enableMemPattern: false } : {}),
    ...(o.optimizedModelPath !== undefined ? { optimizedModelFilePath: o.optimizedModelPath } : {}),
  };
}

async function prepareSource(source: ModelSource, freeDims: Readonly<Record<string, number>> | undefined): Promise<string | Uint8Array> {
  const fix = freeDims && Object.keys(freeDims).length > 0 ? freeDims : undefined;
  if (typeof source === 'string') return fix ? encodeModel(fixDims(await loadModel(source), fix)) : source;
  if (source instanceof Uint8Array) return fix ? encodeModel(fixDims(decodeModel(source), fix)) : source;
  return encodeModel(fix ? fixDims(source, fix) : source);
}

/**
 * Every `dim_param` name used by the main graph's values (inputs, outputs, value_info), sorted.
 *
 * @example
 * ```ts
 * dimParams(buildZooModel('lenet5'));   // ['N']
 * ```
 */
export function dimParams(model: Model): string[] {
  const names = new Set<string>();
  for (const v of model.graph.allValues()) for (const d of v.shape ?? []) if (typeof d === 'string') names.add(d);
  return [...names].sort();
}

/**
 * A copy of `model` (the original is untouched) where each named `dim_param` becomes a fixed size, in graph inputs,
 * outputs and intermediate shapes alike. This is how symbolic batch sizes are pinned, since onnxruntime-node ignores
 * `freeDimensionOverrides`.
 *
 * @throws RangeError when a size is not a positive integer or a name is not a dim_param of the model (the message
 *   lists the model's dim_params).
 * @example
 * ```ts
 * const fixed = fixDims(model, { N: 32 });
 * fixed.graph.inputs[0]!.shape;   // [32, 784] where the original had ['N', 784]
 * ```
 */
export function fixDims(model: Model, dims: Readonly<Record<string, number>>): Model {
  const known = new Set(dimParams(model));
  const problems: string[] = [];
  for (const [name, size] of Object.entries(dims)) {
    if (!known.has(name)) problems.push(`'${name}' is not a dim_param of the model`);
    if (!Number.isSafeInteger(size) || size < 1) problems.push(`'${name}' must be a positive integer, got ${size}`);
  }
  if (problems.length > 0) {
    const have = known.size > 0 ? [...known].map((d) => `'${d}'`).join(', ') : 'none';
    throw new RangeError(`fixDims: ${problems.join('; ')} (the model's dim_params: ${have}).`);
  }
  const copy = cloneModel(model);
  substituteDims(copy.graph, dims);
  return copy;
}

function substituteDims(graph: Graph, dims: Readonly<Record<string, number>>): void {
  for (const v of graph.allValues()) {
    if (!v.shape) continue;
    v.shape = v.shape.map((d) => (typeof d === 'string' && Object.hasOwn(dims, d) ? dims[d]! : d));
  }
}

/**
 * Runs `fn` with a session for `source`: a Session is used as is; anything else is loaded with `options` and
 * released afterwards, even when `fn` throws.
 *
 * @example
 * ```ts
 * const names = await withSession(model, {}, async (s) => s.outputNames);
 * ```
 */
export async function withSession<T>(source: Session | ModelSource, options: SessionOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  if (source instanceof Session) return fn(source);
  const s = await createSession(source, options);
  try {
    return await fn(s);
  } finally {
    await s.release();
  }
}
