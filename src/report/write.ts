/**
 * `writeRunReport`: reads a run folder and writes its report as HTML (self-contained), Markdown (with the charts as
 * SVG files beside it) and JSON.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import { renderRunCharts } from './charts.js';
import { renderRunHtml } from './html.js';
import { chartFileName, renderRunMarkdown } from './markdown.js';
import { loadRunReport, type RunReport } from './run-report.js';

/** Options of {@link writeRunReport}. */
export interface WriteReportOptions {
  /** Folder to write into (created); default the run folder. */
  readonly out?: string;
}

/** What {@link writeRunReport} wrote, and the report it drew. */
export interface WrittenReport {
  readonly html: string;
  readonly markdown: string;
  readonly json: string;
  /** The chart SVGs referenced by the Markdown. */
  readonly charts: readonly string[];
  readonly report: RunReport;
}

/**
 * Reads `RUN_DIR/run.json` (and the sensitivity file it names) and writes `report.html`, `report.md`, `report.json`
 * and `report-<chart>.svg` into `out` (default the run folder), each atomically.
 *
 * @throws SecateursError `DATA_MISSING` / `DATA_MALFORMED` / `DATA_UNSUPPORTED` when the record cannot be used.
 * @example
 * ```ts
 * const { html } = await writeRunReport('runs/demo');   // runs/demo/report.html, report.md, report.json, report-*.svg
 * ```
 */
export async function writeRunReport(runDir: string, options: WriteReportOptions = {}): Promise<WrittenReport> {
  const report = await loadRunReport(runDir);
  const charts = await renderRunCharts(report);
  const out = options.out ?? runDir;
  const paths = { html: join(out, 'report.html'), markdown: join(out, 'report.md'), json: join(out, 'report.json') };
  const chartPaths = charts.map((c) => join(out, chartFileName(c)));
  for (const [i, c] of charts.entries()) await writeFileAtomic(chartPaths[i]!, c.svg);
  await writeFileAtomic(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(paths.markdown, renderRunMarkdown(report, charts));
  await writeFileAtomic(paths.html, renderRunHtml(report, charts));
  return { ...paths, charts: chartPaths, report };
}
