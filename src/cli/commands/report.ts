import type { Command } from 'commander';
import { largestBatch } from '../../report/charts.js';
import { fmtMs, fmtPercent, fmtRatio, fmtSize } from '../../report/format.js';
import { writeRunReport, type WrittenReport } from '../../report/write.js';
import { globals } from '../context.js';
import { printJson, renderTable, type Io } from '../output.js';

/** `secateurs report RUN_DIR`: the HTML, Markdown and JSON report of a pipeline run. */
export function registerReport(program: Command, io: Io): void {
  program
    .command('report')
    .description('write the report of a pipeline run (RUN_DIR/run.json): a self-contained HTML page with charts, report.md and report.json')
    .argument('<run-dir>', 'a run folder holding run.json, e.g. runs/demo')
    .option('--out <dir>', 'write report.html, report.md, report.json and the chart SVGs here (default: the run folder)')
    .action(async (runDir: string, opts: { out?: string }, cmd: Command) => {
      const g = globals(cmd);
      const w = await writeRunReport(runDir, opts.out !== undefined ? { out: opts.out } : {});
      if (g.json) printJson(io, { files: { html: w.html, markdown: w.markdown, json: w.json, charts: w.charts }, report: w.report });
      else io.out(formatReport(w, io.isTty));
    });
}

function formatReport(w: WrittenReport, isTty: boolean): string {
  const { record, figures } = w.report;
  const n = largestBatch(record.stages);
  const latency = (s: (typeof record.stages)[number], b: number): string => {
    const l = s.metrics.latency.find((x) => x.batch === b);
    return l ? fmtMs(l.medianMs) : '-';
  };
  const rows = record.stages.map((s, i) => [
    s.name, s.kind, s.metrics.top1 !== undefined ? fmtPercent(s.metrics.top1) : '-', s.metrics.nonzero,
    fmtRatio(figures[i]!.compression), fmtSize(s.metrics.gzipBytes), latency(s, 1), ...(n !== undefined ? [latency(s, n)] : []),
  ]);
  const head = ['stage', 'kind', 'top-1', 'nonzero params', 'compression', 'gzip', 'latency b1', ...(n !== undefined ? [`latency b${n}`] : [])];
  return [
    renderTable(record.title, head, rows, isTty),
    `wrote ${w.html}, ${w.markdown}, ${w.json} and ${w.charts.length} chart SVGs`,
  ].join('\n\n');
}
