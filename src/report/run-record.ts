/**
 * The run record: the JSON document a pipeline run writes to `RUN_DIR/run.json`, one entry per stage (the original
 * model first), with the measurements every report is drawn from. Plain data, versioned, validated on read and on
 * write; paths inside it are relative to the run folder, so a run folder can be moved or archived whole.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SecateursError } from '../errors.js';
import type { SensitivityResult } from '../prune/sensitivity.js';
import { writeFileAtomic } from '../util/fs.js';
import { recordProblems } from './run-record-check.js';

/** Version of the run record format this code reads and writes. */
export const RUN_RECORD_VERSION = 1;

/** File name of the record inside a run folder. */
export const RUN_RECORD_FILE = 'run.json';

/** What a stage did to the model. The first stage of every run is `original` (the model as it came in). */
export type RunStageKind = 'original' | 'prune' | 'structured' | 'finetune' | 'distill' | 'recalibrate' | 'quantize' | 'export';

/** Every {@link RunStageKind}, in pipeline order. */
export const RUN_STAGE_KINDS: readonly RunStageKind[] = ['original', 'prune', 'structured', 'finetune', 'distill', 'recalibrate', 'quantize', 'export'];

/** Median onnxruntime latency of one batch size. */
export interface StageLatency {
  readonly batch: number;
  readonly medianMs: number;
}

/** The model after a stage, measured. */
export interface StageMetrics {
  /** Top-1 accuracy in [0, 1] on the record's `data`; absent when not evaluated. */
  readonly top1?: number;
  /** Mean cross-entropy on the record's `data`; absent when not evaluated. */
  readonly loss?: number;
  readonly params: number;
  readonly nonzero: number;
  /** Multiply-accumulates at batch 1. */
  readonly macs: number;
  /** MACs with each layer scaled by its weight density (ShrinkBench). */
  readonly nonzeroMacs: number;
  /** Size of the model encoded densely (what `inspect` reports) and its gzip size (level 9). */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Median latency per batch size (batch 1 and a larger batch N), ascending by batch. */
  readonly latency: readonly StageLatency[];
  /** Wall time of the stage's own work in seconds (measuring excluded; 0 for `original`). */
  readonly durationS: number;
}

/** One layer (a node that owns parameters or does MACs) of the model after a stage. */
export interface LayerRow {
  /** Node name. */
  readonly name: string;
  readonly op: string;
  /** The weight tensor the node owns, when it has one (the name sensitivity results use). */
  readonly weight?: string;
  readonly params: number;
  readonly nonzero: number;
  /** 1 - nonzero / params (0 without parameters). */
  readonly sparsity: number;
  /** Output channels (features) before and after the stage, where known. */
  readonly channelsBefore?: number;
  readonly channelsAfter?: number;
}

/** A structured-pruning group that could not be pruned, and why. */
export interface BlockedGroup {
  readonly group: string;
  readonly node: string;
  readonly op: string;
  readonly reason: string;
}

/** A model file written by a stage: a path relative to the run folder and its size on disk. */
export interface StageModel {
  readonly path: string;
  readonly bytes: number;
}

/** One step of a run. */
export interface RunStage {
  /** Unique within the run, e.g. `original`, `prune 90%`. */
  readonly name: string;
  readonly kind: RunStageKind;
  readonly metrics: StageMetrics;
  readonly layers: readonly LayerRow[];
  /** Structured groups left unpruned because an op blocks them (empty for other kinds of stage). */
  readonly blocked: readonly BlockedGroup[];
  /** The stage's output model, when it was saved. */
  readonly model?: StageModel;
  readonly notes: readonly string[];
}

/** Per-layer sensitivity results, embedded or as a path (relative to the run folder) to a `sensitivity.json`. */
export type SensitivityRef =
  | { readonly source: 'embedded'; readonly result: SensitivityResult; readonly allocation?: Readonly<Record<string, number>> }
  | { readonly source: 'file'; readonly path: string; readonly allocation?: Readonly<Record<string, number>> };

/** The record of one pipeline run (`RUN_DIR/run.json`). */
export interface RunRecord {
  /** Format version ({@link RUN_RECORD_VERSION}). */
  readonly version: number;
  readonly title: string;
  /** ISO 8601 time the run started. */
  readonly createdAt: string;
  readonly tool: { readonly name: string; readonly version: string };
  /** The input model as given (a path or `zoo:NAME`), with its size. */
  readonly source: { readonly path: string; readonly params: number; readonly macs: number };
  /** What accuracy and loss were measured on. */
  readonly data: { readonly name: string; readonly split: string; readonly count: number };
  /** In order; the first is the `original` model. */
  readonly stages: readonly RunStage[];
  readonly sensitivity?: SensitivityRef;
}

/**
 * Checks a parsed record and returns it typed.
 *
 * @throws SecateursError `DATA_MALFORMED` listing every problem (`stages[1].metrics.params: expected ...`), or
 *   `DATA_UNSUPPORTED` for a record written by a newer format version.
 * @example
 * ```ts
 * const record = parseRunRecord(JSON.parse(text), 'runs/demo/run.json');
 * ```
 */
export function parseRunRecord(raw: unknown, where = 'run record'): RunRecord {
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > RUN_RECORD_VERSION) {
    throw new SecateursError('DATA_UNSUPPORTED', `${where}: run record version ${version} was written by a newer Secateurs; this one reads version ${RUN_RECORD_VERSION}.`);
  }
  const problems = recordProblems(raw, { version: RUN_RECORD_VERSION, kinds: RUN_STAGE_KINDS });
  if (problems.length > 0) {
    const list = problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`;
    throw new SecateursError('DATA_MALFORMED', `${where} is not a valid run record: ${list}`);
  }
  return raw as RunRecord;
}

/**
 * Reads and validates a run record: `path` is the run folder or the record file itself.
 *
 * @throws SecateursError `DATA_MISSING` (no such file), `DATA_MALFORMED` (not JSON, or every problem of the record),
 *   `DATA_UNSUPPORTED` (a newer version).
 * @example
 * ```ts
 * const record = await readRunRecord('runs/demo');
 * record.stages.map((s) => [s.name, s.metrics.top1]);
 * ```
 */
export async function readRunRecord(path: string): Promise<RunRecord> {
  const file = (await isDirectory(path)) ? join(path, RUN_RECORD_FILE) : path;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SecateursError('DATA_MISSING', `cannot read run record '${file}': ${code === 'ENOENT' ? 'no such file (a pipeline run writes RUN_DIR/run.json)' : (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SecateursError('DATA_MALFORMED', `run record '${file}' is not JSON: ${(e as Error).message}`);
  }
  return parseRunRecord(raw, `'${file}'`);
}

/**
 * Validates a record and writes it to `dir/run.json` atomically (the folder is created). An invalid record is never
 * written. Returns the file's path.
 *
 * @throws SecateursError `DATA_MALFORMED` listing every problem of the record.
 * @example
 * ```ts
 * await writeRunRecord('runs/demo', record);   // runs/demo/run.json
 * ```
 */
export async function writeRunRecord(dir: string, record: RunRecord): Promise<string> {
  parseRunRecord(JSON.parse(JSON.stringify(record)) as unknown, `run record for '${dir}'`);
  const file = join(dir, RUN_RECORD_FILE);
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
