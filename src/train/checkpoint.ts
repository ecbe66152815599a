/**
 * Training checkpoints: one `.npz` archive (numpy reads it with `np.load`), written atomically (temporary file, then
 * rename), so a crash leaves either the previous checkpoint or the new one, never a torn file.
 *
 * Members:
 * - `manifest`: uint8, the UTF-8 JSON of {@link CheckpointManifest} (`json.loads(bytes(z['manifest']))`);
 * - `tensor_<i>`: float32, the i-th entry of `manifest.tensors` (trainable parameters, then BatchNorm running
 *   statistics), in the initializer's shape;
 * - `opt_<buffer>_<i>`: float32 [size], optimizer buffer `<buffer>` (SGD: `momentum`; Adam/AdamW: `m`, `v`) of the
 *   i-th trainable parameter.
 *
 * The manifest also holds the step, epoch and position within the epoch, the RNG state, the options that shaped the
 * run, and the trainer's bookkeeping (history, best epoch, running sums of the current epoch).
 * @module
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { decodeNpz, encodeNpz } from '../data/npz.js';
import type { NpyArray } from '../data/npy-dtypes.js';
import { readDataFile } from '../data/files.js';
import { SecateursError } from '../errors.js';
import type { OptimizerKind, OptimizerState } from './optim/types.js';

/** The `format` field of every manifest. */
export const CHECKPOINT_FORMAT = 'secateurs.checkpoint';
/** The manifest version this code writes and reads. */
export const CHECKPOINT_VERSION = 1;

/** One stored tensor. */
export interface CheckpointTensor {
  readonly name: string;
  readonly dims: readonly number[];
  /**
   * `param`: trained by the optimizer; `stat`: a running statistic (BatchNorm mean/variance); `mask`: the current
   * pruning mask (0/1) of the parameter of the same name, stored when masks change during the run.
   */
  readonly role: 'param' | 'stat' | 'mask';
  readonly data: Float32Array;
}

/** What a checkpoint holds, in memory. */
export interface Checkpoint {
  /** Optimizer steps taken. */
  readonly step: number;
  /** The epoch in progress (0-based) and how many of its batches are done. */
  readonly epoch: number;
  readonly batchInEpoch: number;
  readonly rng: readonly number[];
  readonly tensors: readonly CheckpointTensor[];
  readonly optimizer: OptimizerState;
  /** The options the run was started with (JSON). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Trainer bookkeeping (JSON): history, best epoch, current-epoch sums. */
  readonly run: Readonly<Record<string, unknown>>;
}

/** The JSON stored as member `manifest`. */
export interface CheckpointManifest {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  readonly step: number;
  readonly epoch: number;
  readonly batchInEpoch: number;
  readonly rng: readonly number[];
  readonly tensors: readonly { readonly key: string; readonly name: string; readonly dims: readonly number[]; readonly role: CheckpointTensor['role'] }[];
  readonly optimizer: {
    readonly kind: OptimizerKind;
    readonly steps: number;
    readonly hyper: Readonly<Record<string, number | boolean>>;
    /** Buffer name → one member key per trainable parameter. */
    readonly buffers: Readonly<Record<string, readonly string[]>>;
  };
  readonly config: Readonly<Record<string, unknown>>;
  readonly run: Readonly<Record<string, unknown>>;
}

/**
 * The archive bytes of a checkpoint.
 *
 * @example
 * ```ts
 * const bytes = encodeCheckpoint(ckpt);
 * decodeCheckpoint(bytes, 'mem').step === ckpt.step;   // true
 * ```
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const arrays = new Map<string, NpyArray>();
  const tensors = c.tensors.map((t, i) => {
    const key = `tensor_${i}`;
    arrays.set(key, { dtype: 'float32', shape: [...t.dims], data: t.data });
    return { key, name: t.name, dims: [...t.dims], role: t.role };
  });
  const buffers: Record<string, string[]> = {};
  for (const [b, list] of Object.entries(c.optimizer.buffers)) {
    buffers[b] = list.map((data, i) => {
      const key = `opt_${b}_${i}`;
      arrays.set(key, { dtype: 'float32', shape: [data.length], data });
      return key;
    });
  }
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step: c.step, epoch: c.epoch, batchInEpoch: c.batchInEpoch,
    rng: [...c.rng], tensors,
    optimizer: { kind: c.optimizer.kind, steps: c.optimizer.steps, hyper: c.optimizer.hyper, buffers },
    config: c.config, run: c.run,
  };
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  return encodeNpz(new Map<string, NpyArray>([['manifest', { dtype: 'uint8', shape: [json.length], data: json }], ...arrays]));
}

/**
 * Parses checkpoint bytes; `name` labels errors.
 *
 * @throws SecateursError `TRAIN_CHECKPOINT` when the archive is not a checkpoint this version reads (naming what is
 *   wrong), `DATA_MALFORMED` when it is not a readable .npz.
 * @example
 * ```ts
 * const c = decodeCheckpoint(await readFile('run/checkpoint.npz'), 'checkpoint.npz');
 * ```
 */
export function decodeCheckpoint(bytes: Uint8Array, name: string): Checkpoint {
  const { arrays } = decodeNpz(bytes, name);
  const bad = (why: string): never => { throw new SecateursError('TRAIN_CHECKPOINT', `${name}: ${why}.`); };
  const raw = arrays.get('manifest');
  if (!raw || raw.dtype !== 'uint8') return bad(`no 'manifest' member; not a Secateurs checkpoint`);
  const m = JSON.parse(new TextDecoder().decode(raw.data)) as CheckpointManifest;
  if (m.format !== CHECKPOINT_FORMAT) bad(`format is '${String(m.format)}', expected '${CHECKPOINT_FORMAT}'`);
  if (m.version !== CHECKPOINT_VERSION) bad(`version ${m.version} is not supported (this build reads version ${CHECKPOINT_VERSION})`);
  const f32 = (key: string, n: number): Float32Array => {
    const a = arrays.get(key);
    if (!a || a.dtype !== 'float32') return bad(`member '${key}' is missing or not float32`);
    if (a.data.length !== n) return bad(`member '${key}' has ${a.data.length} values, the manifest says ${n}`);
    return a.data as Float32Array;
  };
  const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
  const tensors = m.tensors.map((t) => ({ name: t.name, dims: t.dims, role: t.role, data: f32(t.key, size(t.dims)) }));
  const params = tensors.filter((t) => t.role === 'param');
  const buffers: Record<string, Float32Array[]> = {};
  for (const [b, keys] of Object.entries(m.optimizer.buffers)) {
    if (keys.length !== params.length) bad(`optimizer buffer '${b}' has ${keys.length} entries for ${params.length} parameters`);
    buffers[b] = keys.map((k, i) => f32(k, params[i]!.data.length));
  }
  return {
    step: m.step, epoch: m.epoch, batchInEpoch: m.batchInEpoch, rng: m.rng, tensors,
    optimizer: { kind: m.optimizer.kind, steps: m.optimizer.steps, hyper: m.optimizer.hyper, buffers },
    config: m.config, run: m.run,
  };
}

/**
 * Writes a checkpoint atomically (creating its folder): to `<path>.<pid>.tmp`, then renamed over `path`.
 *
 * @example
 * ```ts
 * await saveCheckpoint('runs/a/checkpoint.npz', ckpt);
 * ```
 */
export async function saveCheckpoint(path: string, c: Checkpoint): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, encodeCheckpoint(c));
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new SecateursError('TRAIN_CHECKPOINT', `cannot write checkpoint ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Reads a checkpoint file.
 *
 * @throws SecateursError `DATA_MISSING` when the file is absent, `TRAIN_CHECKPOINT` when it is not a checkpoint.
 * @example
 * ```ts
 * const c = await loadCheckpoint('runs/a/checkpoint.npz');
 * console.log(c.step, c.epoch, c.batchInEpoch);
 * ```
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  return decodeCheckpoint(await readDataFile(path, 'a training checkpoint (.npz)'), basename(path));
}
