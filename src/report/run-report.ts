/**
 * The content of a run report: the record as read, its sensitivity results resolved, and the figures derived per
 * stage (compression, theoretical speedup, change against the original). `report.json` is this object; the HTML and
 * Markdown pages are drawn from it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SecateursError } from '../errors.js';
import { sensitivityFromJson } from '../prune/sensitivity-output.js';
import type { SensitivityResult } from '../prune/sensitivity.js';
import { readRunRecord, RUN_RECORD_FILE, type RunRecord, type RunStage } from './run-record.js';

/** Format version of `report.json`. */
export const RUN_REPORT_VERSION = 1;

/** A stage's figures relative to its own counts and to the original model. */
export interface StageFigures {
  readonly name: string;
  /** params / nonzero (ShrinkBench's compression ratio). */
  readonly compression: number;
  /** macs / nonzeroMacs (ShrinkBench's theoretical speedup). */
  readonly theoreticalSpeedup: number;
  /** top-1 minus the original's, when both were evaluated. */
  readonly top1Delta?: number;
  /** This stage's value over the original's (below 1: smaller or faster). */
  readonly vsOriginal: {
    readonly nonzero: number;
    readonly nonzeroMacs: number;
    readonly bytes: number;
    readonly gzipBytes: number;
    /** Per batch size both stages were timed at. */
    readonly latency: readonly { readonly batch: number; readonly ratio: number }[];
  };
}

/** Everything a report shows (the content of `report.json`). */
export interface RunReport {
  readonly reportVersion: number;
  readonly record: RunRecord;
  /** The sensitivity results (read from the run folder when the record points to a file). */
  readonly sensitivity?: {
    readonly result: SensitivityResult;
    readonly allocation?: Readonly<Record<string, number>>;
    /** The file it was read from, relative to the run folder. */
    readonly path?: string;
  };
  /** One per stage, in the record's order. */
  readonly figures: readonly StageFigures[];
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : a === 0 ? 1 : Infinity);

/**
 * Figures of a stage against the original stage.
 *
 * @example
 * ```ts
 * stageFigures(record.stages[2]!, record.stages[0]!).vsOriginal.gzipBytes;   // e.g. 0.14
 * ```
 */
export function stageFigures(stage: RunStage, original: RunStage): StageFigures {
  const m = stage.metrics;
  const o = original.metrics;
  const latency = m.latency.flatMap((l) => {
    const base = o.latency.find((x) => x.batch === l.batch);
    return base ? [{ batch: l.batch, ratio: ratio(l.medianMs, base.medianMs) }] : [];
  });
  return {
    name: stage.name,
    compression: ratio(m.params, m.nonzero),
    theoreticalSpeedup: ratio(m.macs, m.nonzeroMacs),
    ...(m.top1 !== undefined && o.top1 !== undefined ? { top1Delta: m.top1 - o.top1 } : {}),
    vsOriginal: {
      nonzero: ratio(m.nonzero, o.nonzero),
      nonzeroMacs: ratio(m.nonzeroMacs, o.nonzeroMacs),
      bytes: ratio(m.bytes, o.bytes),
      gzipBytes: ratio(m.gzipBytes, o.gzipBytes),
      latency,
    },
  };
}

/**
 * The report of a record whose sensitivity results (if any) are already at hand.
 *
 * @example
 * ```ts
 * const report = buildRunReport(record, undefined);
 * report.figures.at(-1)?.compression;
 * ```
 */
export function buildRunReport(record: RunRecord, sensitivity: RunReport['sensitivity']): RunReport {
  const original = record.stages[0]!;
  return {
    reportVersion: RUN_REPORT_VERSION,
    record,
    ...(sensitivity ? { sensitivity } : {}),
    figures: record.stages.map((s) => stageFigures(s, original)),
  };
}

/**
 * Reads `RUN_DIR/run.json` and the sensitivity file it points to, and derives the report.
 *
 * @throws SecateursError `DATA_MISSING`, `DATA_MALFORMED` or `DATA_UNSUPPORTED` for the record (see `readRunRecord`)
 *   or its sensitivity file, naming the file.
 * @example
 * ```ts
 * const report = await loadRunReport('runs/demo');
 * report.figures.map((f) => [f.name, f.compression]);
 * ```
 */
export async function loadRunReport(runDir: string): Promise<RunReport> {
  const record = await readRunRecord(join(runDir, RUN_RECORD_FILE));
  const ref = record.sensitivity;
  if (!ref) return buildRunReport(record, undefined);
  const allocation = ref.allocation ? { allocation: ref.allocation } : {};
  if (ref.source === 'embedded') return buildRunReport(record, { result: ref.result, ...allocation });
  const file = join(runDir, ref.path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new SecateursError('DATA_MISSING', `run record '${join(runDir, RUN_RECORD_FILE)}' points to sensitivity results '${ref.path}', which cannot be read: ${(e as Error).message}`);
  }
  let result: SensitivityResult;
  try {
    result = sensitivityFromJson(text);
  } catch (e) {
    throw new SecateursError('DATA_MALFORMED', `sensitivity results '${file}' (from the run record): ${(e as Error).message}`);
  }
  return buildRunReport(record, { result, path: ref.path, ...allocation });
}
