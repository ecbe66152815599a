/**
 * The report's text content as plain data (headline figures, tables with formatted cells), built once and rendered
 * by both the HTML and the Markdown writer, so the two show the same numbers.
 */
import { largestBatch } from './charts.js';
import { fmtCount, fmtLoss, fmtMs, fmtPercent, fmtPoints, fmtRatio, fmtSeconds, fmtSize } from './format.js';
import type { RunReport } from './run-report.js';
import type { RunStage } from './run-record.js';

/** A table: header, which columns are numeric (right-aligned), formatted cells. */
export interface TableData {
  readonly head: readonly string[];
  readonly numeric: readonly boolean[];
  readonly rows: readonly (readonly string[])[];
}

/** A headline figure: the last stage against the original. */
export interface Headline {
  readonly label: string;
  readonly value: string;
  readonly detail: string;
}

const latencyOf = (s: RunStage, batch: number): number | undefined => s.metrics.latency.find((l) => l.batch === batch)?.medianMs;
/** '; 3.20x smaller' for a ratio (stage / original) below 1, '; 1.10x larger' above; nothing when unknown. */
function change(ratio: number | undefined, below: string, above: string): string {
  if (ratio === undefined || !Number.isFinite(ratio) || ratio <= 0) return '';
  return ratio <= 1 ? `; ${fmtRatio(1 / ratio)} ${below}` : `; ${fmtRatio(ratio)} ${above}`;
}

const dash = (v: number | undefined, f: (x: number) => string): string => (v === undefined ? '-' : f(v));

/**
 * Headline figures of the last stage against the original (accuracy, nonzero parameters, gzip size, latency, file).
 *
 * @example
 * ```ts
 * headlines(report)[0];   // { label: 'Top-1 accuracy', value: '99.16%', detail: 'original 99.22%, -0.06 pp' }
 * ```
 */
export function headlines(report: RunReport): Headline[] {
  const stages = report.record.stages;
  const first = stages[0]!;
  const last = stages[stages.length - 1]!;
  const f = report.figures[report.figures.length - 1]!;
  const a = first.metrics;
  const b = last.metrics;
  const out: Headline[] = [];
  if (b.top1 !== undefined) {
    out.push({ label: 'Top-1 accuracy', value: fmtPercent(b.top1), detail: a.top1 !== undefined && f.top1Delta !== undefined ? `original ${fmtPercent(a.top1)}, ${fmtPoints(f.top1Delta)}` : 'original not evaluated' });
  }
  out.push({ label: 'Nonzero parameters', value: fmtCount(b.nonzero), detail: `of ${fmtCount(b.params)}; ${fmtRatio(f.compression)} compression; original ${fmtCount(a.nonzero)}` });
  out.push({ label: 'gzip size', value: fmtSize(b.gzipBytes), detail: `original ${fmtSize(a.gzipBytes)}${change(f.vsOriginal.gzipBytes, 'smaller', 'larger')}` });
  const l1 = latencyOf(last, 1);
  const o1 = latencyOf(first, 1);
  const r1 = f.vsOriginal.latency.find((l) => l.batch === 1)?.ratio;
  if (l1 !== undefined) {
    out.push({ label: 'Latency, batch 1', value: fmtMs(l1), detail: o1 !== undefined ? `original ${fmtMs(o1)}${change(r1, 'faster', 'slower')}; median, onnxruntime CPU` : 'median, onnxruntime CPU' });
  }
  if (last.model) out.push({ label: 'Model file', value: fmtSize(last.model.bytes), detail: last.model.path });
  return out;
}

/**
 * One row per stage: accuracy, loss, parameters, MACs, sizes, latency (batch 1 and N), duration.
 *
 * @example
 * ```ts
 * stagesTable(report).head;   // ['Stage', 'Kind', 'Top-1', 'Δ top-1', 'Loss', 'Params', ...]
 * ```
 */
export function stagesTable(report: RunReport): TableData {
  const stages = report.record.stages;
  const n = largestBatch(stages);
  const head = ['Stage', 'Kind', 'Top-1', 'Δ top-1', 'Loss', 'Params', 'Nonzero', 'Compression', 'MACs', 'Nonzero MACs', 'Speedup (theor.)',
    'Size', 'gzip', 'Latency b1', ...(n !== undefined ? [`Latency b${n}`] : []), 'Duration'];
  const rows = stages.map((s, i) => {
    const m = s.metrics;
    const f = report.figures[i]!;
    return [
      s.name, s.kind, dash(m.top1, fmtPercent), i === 0 ? '' : dash(f.top1Delta, fmtPoints), dash(m.loss, fmtLoss),
      fmtCount(m.params), fmtCount(m.nonzero), fmtRatio(f.compression), fmtCount(m.macs), fmtCount(m.nonzeroMacs), fmtRatio(f.theoreticalSpeedup),
      fmtSize(m.bytes), fmtSize(m.gzipBytes), dash(latencyOf(s, 1), fmtMs), ...(n !== undefined ? [dash(latencyOf(s, n), fmtMs)] : []),
      i === 0 ? '' : fmtSeconds(m.durationS),
    ];
  });
  return { head, numeric: head.map((_, i) => i >= 2), rows };
}

/**
 * One row per layer (in model order, every stage's layers): original parameters, then each stage's nonzero count and
 * sparsity, and the channel counts stage by stage where known.
 *
 * @example
 * ```ts
 * layersTable(report).rows[0];   // ['conv1/Conv', 'Conv', '520', '520 (0.00%)', '182 (65.00%)', ..., '20 → 20 → 20']
 * ```
 */
export function layersTable(report: RunReport): TableData {
  const stages = report.record.stages;
  const names = [...new Set(stages.flatMap((s) => s.layers.map((l) => l.name)))];
  const byStage = stages.map((s) => new Map(s.layers.map((l) => [l.name, l])));
  const withChannels = stages.some((s) => s.layers.some((l) => l.channelsAfter !== undefined));
  const head = ['Layer', 'Op', 'Params', ...stages.map((s) => `${s.name}: nonzero (sparsity)`), ...(withChannels ? ['Channels'] : [])];
  const rows = names.map((name) => {
    const rowsOf = byStage.map((m) => m.get(name));
    const any = rowsOf.find((l) => l !== undefined)!;
    const channels = rowsOf.map((l) => (l?.channelsAfter === undefined ? '?' : String(l.channelsAfter))).join(' → ');
    return [
      name, any.op, fmtCount(any.params),
      ...rowsOf.map((l) => (l === undefined ? '-' : `${fmtCount(l.nonzero)} (${fmtPercent(l.sparsity)})`)),
      ...(withChannels ? [channels] : []),
    ];
  });
  return { head, numeric: head.map((_, i) => i >= 2), rows };
}

/** The metric a sensitivity table shows: top-1 when measured, else the KL divergence. */
export function sensitivityMetric(report: RunReport): 'top1' | 'kl' | undefined {
  const rows = report.sensitivity?.result.rows ?? [];
  if (rows.some((r) => r.top1 !== null)) return 'top1';
  return rows.some((r) => r.kl !== null) ? 'kl' : undefined;
}

/**
 * Sensitivity as a table: one row per layer, its metric at each level, and the allocated sparsity.
 *
 * @example
 * ```ts
 * sensitivityTable(report)?.head;   // ['Layer', 'Params', '0%', '50%', ..., 'Allocated']
 * ```
 */
export function sensitivityTable(report: RunReport): TableData | undefined {
  const s = report.sensitivity;
  const metric = sensitivityMetric(report);
  if (!s || !metric) return undefined;
  const levels = s.result.levels;
  const alloc = s.allocation;
  const head = ['Layer', 'Params', ...levels.map((l) => `${+(l * 100).toFixed(1)}%`), ...(alloc ? ['Allocated'] : [])];
  const rows = s.result.layers.map((layer) => {
    const cells = levels.map((level) => {
      const v = s.result.rows.find((r) => r.layer === layer && r.level === level)?.[metric];
      return v === null || v === undefined ? '-' : metric === 'top1' ? fmtPercent(v) : v.toPrecision(3);
    });
    const params = s.result.rows.find((r) => r.layer === layer)?.params;
    const a = alloc?.[layer];
    return [layer, dash(params, fmtCount), ...cells, ...(alloc ? [dash(a, fmtPercent)] : [])];
  });
  return { head, numeric: head.map((_, i) => i >= 1), rows };
}

/**
 * The structured groups each stage left unpruned, and why; undefined when there are none.
 *
 * @example
 * ```ts
 * blockedTable(report)?.rows[0];   // ['structured 50%', 'fc2/Gemm', 'fc2/Gemm', 'Gemm', "reaches graph output 'logits' ..."]
 * ```
 */
export function blockedTable(report: RunReport): TableData | undefined {
  const rows = report.record.stages.flatMap((s) => s.blocked.map((b) => [s.name, b.group, b.node, b.op, b.reason]));
  if (rows.length === 0) return undefined;
  const head = ['Stage', 'Group', 'Node', 'Op', 'Reason'];
  return { head, numeric: head.map(() => false), rows };
}

/** Why there is no blocked-groups table. */
export function noBlockedText(report: RunReport): string {
  return report.record.stages.some((s) => s.kind === 'structured')
    ? 'Every structured group was prunable: no operator blocked one.'
    : 'No stage of this run pruned structure (channels, neurons or heads), so no group could be blocked.';
}

/** `2025-06-01T12:34:56.000Z` as `2025-06-01 12:34 UTC`. */
export function fmtCreated(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
