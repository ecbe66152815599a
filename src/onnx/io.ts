/**
 * Files: `loadModel` (external data resolved against the model's folder, read lazily) and `saveModel` (optional side
 * file, atomic: everything goes to temporary files in the target folder, renamed into place data first, model last).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SecateursError } from '../errors.js';
import type { Graph, Model } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { onnxError } from './context.js';
import { externalRef, locationProblem, writeAll, writeTensorBytes, type ExternalRef } from './external.js';
import { decodeModel, modelChunks, type Chunk } from './model.js';
import { planEncoding, PROTO_LIMIT, type Plan, type SparseMode } from './plan.js';

/** Side-file settings of `saveModel`. */
export interface ExternalDataOptions {
  /** Tensors of at least this many bytes go to the side file (default 1024). */
  readonly threshold?: number;
  /** Side file name, relative to the model's folder (default '<model file name>.data', e.g. 'model.onnx.data'). */
  readonly location?: string;
}

/** Options of `saveModel`. */
export interface SaveOptions {
  /** Put large tensors in one side file (`true`: defaults). Required for models over 2 GiB. */
  readonly externalData?: boolean | ExternalDataOptions;
  /** Initializer storage: as each value's `storage` says (default), all dense, or sparse wherever smaller. */
  readonly sparse?: SparseMode;
}

/**
 * Reads an .onnx file. External data is checked now (paths, sizes) and read when a tensor's bytes are first used.
 *
 * @example
 * ```ts
 * const model = await loadModel('fixtures/pytorch/mlp.onnx');
 * model.graph.initializers[0]?.constant?.isLazy; // true for external data, false for inline
 * ```
 */
export async function loadModel(file: string, opts: { readonly source?: string } = {}): Promise<Model> {
  const source = opts.source ?? file;
  let bytes: Uint8Array;
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) throw onnxError('ONNX_FILE_MISSING', source, 'is not a file.');
    if (stat.size > PROTO_LIMIT) throw onnxError('ONNX_MALFORMED', source, `not a valid ONNX model (${stat.size} bytes, over protobuf's 2 GiB limit).`);
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    if (e instanceof SecateursError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw onnxError('ONNX_FILE_MISSING', source, code === 'ENOENT' ? 'no such file.' : `cannot read (${(e as Error).message}).`, e);
  }
  return decodeModel(bytes, { baseDir: path.dirname(path.resolve(file)), source });
}

/**
 * Writes a model atomically. With `externalData`, tensors above the threshold go to one side file at aligned offsets,
 * streamed (lazy tensors are copied range by range, never loaded whole). Deterministic bytes.
 *
 * @example
 * ```ts
 * await saveModel(model, 'out/model.onnx', { externalData: { threshold: 4096 } }); // out/model.onnx.data too
 * ```
 */
export async function saveModel(model: Model, file: string, opts: SaveOptions = {}): Promise<void> {
  const target = path.resolve(file);
  if (!fs.existsSync(path.dirname(target))) throw onnxError('ONNX_FILE_MISSING', file, `cannot save: folder ${path.dirname(target)} does not exist.`);
  const external = externalSettings(opts.externalData, path.basename(target), file);
  const plan = planEncoding(model, { sparse: opts.sparse ?? 'keep', external, source: file });
  const dataPath = external && plan.layout.length > 0 ? path.resolve(path.dirname(target), external.location) : undefined;
  const repoint = protectSources(model, plan, [target, dataPath]);
  const temps: string[] = [];
  try {
    const dataTemp = dataPath ? writeTemp(dataPath, temps, (w) => writeLayout(w, plan)) : undefined;
    const chunks = modelChunks(model, plan, file);
    const modelTemp = writeTemp(target, temps, (w) => chunks.forEach((c) => w.chunk(c)));
    if (dataTemp && dataPath) fs.renameSync(dataTemp, dataPath);
    fs.renameSync(modelTemp, target);
  } catch (e) {
    for (const t of temps) fs.rmSync(t, { force: true });
    throw e;
  }
  if (dataPath) {
    const real = fs.realpathSync(dataPath);
    for (const { ref, offset } of repoint) { ref.path = real; ref.offset = offset; }
  }
}

function externalSettings(opt: SaveOptions['externalData'], base: string, source: string): { threshold: number; location: string } | undefined {
  if (!opt) return undefined;
  const o: ExternalDataOptions = opt === true ? {} : opt;
  const threshold = o.threshold ?? 1024;
  if (!Number.isFinite(threshold) || threshold < 0) throw new RangeError(`'externalData.threshold' must be a number of bytes >= 0, got ${threshold}.`);
  const location = o.location ?? `${base}.data`;
  const problem = locationProblem(location);
  if (problem) throw onnxError('ONNX_EXTERNAL_PATH', source, `cannot write external data to ${problem}; use a file name inside the model's folder.`);
  return { threshold, location };
}

/** The real path a file would have (its folder's real path when it does not exist yet). */
function realTarget(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.join(fs.realpathSync(path.dirname(p)), path.basename(p));
  }
}

/**
 * Lazy tensors that read from a file this save replaces: those going to the new side file are re-pointed at it after
 * the save (their bytes are there, identical); any other is read into memory first, while the old file is intact.
 */
function protectSources(model: Model, plan: Plan, targets: readonly (string | undefined)[]): { ref: ExternalRef; offset: number }[] {
  const replaced = new Set(targets.filter((t): t is string => t !== undefined).map(realTarget));
  const repoint: { ref: ExternalRef; offset: number }[] = [];
  for (const t of modelTensors(model.graph)) {
    const ref = externalRef(t);
    if (!ref || !replaced.has(ref.path)) continue;
    const placed = plan.external.get(t);
    if (placed) repoint.push({ ref, offset: placed.offset });
    else t.bytes();
  }
  return repoint;
}

function* modelTensors(g: Graph): Generator<Tensor> {
  for (const v of g.initializers) if (v.constant) yield v.constant;
  for (const n of g.nodes) {
    for (const a of n.attributes.values()) {
      if (a.type === 'tensor') yield a.value;
      else if (a.type === 'tensors') yield* a.value;
      else if (a.type === 'graph') yield* modelTensors(a.value);
      else if (a.type === 'graphs') for (const s of a.value) yield* modelTensors(s);
    }
  }
}

/** Writes a temporary file beside `target` (synced to disk) and returns its path. */
function writeTemp(target: string, temps: string[], fill: (w: BufferedWriter) => void): string {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  temps.push(temp);
  const fd = fs.openSync(temp, 'w');
  try {
    const w = new BufferedWriter(fd);
    fill(w);
    w.flush();
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return temp;
}

function writeLayout(w: BufferedWriter, plan: Plan): void {
  for (const { tensor, offset } of plan.layout) {
    w.zeros(offset - w.position);
    w.chunk(tensor);
  }
}

/** Gathers small writes into 4 MiB blocks; large buffers and lazy tensors go to the file directly. */
class BufferedWriter {
  private readonly block = new Uint8Array(4 << 20);
  private used = 0;
  position = 0;

  constructor(private readonly fd: number) {}

  chunk(c: Chunk): void {
    if (c instanceof Tensor && c.isLazy) {
      this.flush();
      writeTensorBytes(this.fd, c);
      this.position += c.byteLength;
      return;
    }
    const bytes = c instanceof Tensor ? c.bytes() : c;
    if (bytes.length > this.block.length - this.used) this.flush();
    if (bytes.length >= this.block.length) writeAll(this.fd, bytes);
    else { this.block.set(bytes, this.used); this.used += bytes.length; }
    this.position += bytes.length;
  }

  zeros(n: number): void {
    if (n > 0) this.chunk(new Uint8Array(n));
  }

  flush(): void {
    if (this.used > 0) writeAll(this.fd, this.block.subarray(0, this.used));
    this.used = 0;
  }
}
