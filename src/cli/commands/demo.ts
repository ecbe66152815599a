import type { Command } from 'commander';
import { runDemo, type DemoReport } from '../../pipeline/demo.js';
import { globals, wantProgress } from '../context.js';
import { parseIntOption } from '../model-arg.js';
import { fmtBytes, fmtNum, fmtPct, printJson, renderTable, type Io } from '../output.js';
import { formatBeforeAfter } from './before-after.js';

/** `secateurs demo`: the main job on the bundled default model. */
export function registerDemo(program: Command, io: Io): void {
  program
    .command('demo')
    .description('the main job on the bundled trained LeNet-5: sensitivity analysis, prune to 90% with fine-tuning, before/after report')
    .option('--model <model>', 'an .onnx file or zoo:NAME instead of the bundled model')
    .option('--limit <n>', 'evaluate on the first n test images (default: all 10,000)')
    .option('--out <file>', 'where to write the pruned model', 'runs/demo/lenet5-pruned90.onnx')
    .action(async (opts: { limit?: string; model?: string; out: string }, cmd: Command) => {
      const g = globals(cmd);
      const report = await runDemo({
        out: opts.out,
        ...(opts.model !== undefined ? { model: opts.model } : {}),
        ...(opts.limit !== undefined ? { limit: parseIntOption('--limit', opts.limit, 1) } : {}),
        progress: wantProgress(g),
        log: g.json || g.quiet ? undefined : (line) => io.err(line),
      });
      if (g.json) printJson(io, report);
      else io.out(formatDemo(report, io.isTty));
    });
}

function formatDemo(r: DemoReport, isTty: boolean): string {
  const levels = r.sensitivity.levels;
  const acc = (layer: string, level: number): string => {
    const row = r.sensitivity.rows.find((x) => x.layer === layer && x.level === level);
    return row?.top1 === null || row === undefined ? '-' : fmtPct(row.top1);
  };
  const layers = r.report.layers.filter((l) => r.allocation[l.name] !== undefined);
  return [
    renderTable('sensitivity: top-1 on held-out training images with one layer pruned', ['layer', ...levels.map((l) => `${Math.round(l * 100)}%`), 'allocated'],
      r.sensitivity.layers.map((l) => [l, ...levels.map((v) => acc(l, v)), fmtPct(r.allocation[l] ?? 0)]), isTty),
    renderTable('pruned layers', ['layer', 'params', 'nonzero', 'sparsity'], layers.map((l) => [l.name, l.params, l.nonzero, fmtPct(l.sparsity)]), isTty),
    formatBeforeAfter(`${r.model} -> ${r.out ?? '(not saved)'}`, r.before, r.after, isTty),
    `compression ${fmtNum(r.report.compressionRatio)}x (all / nonzero parameters), theoretical speedup ${fmtNum(r.report.theoreticalSpeedup)}x ` +
      `(MACs / nonzero MACs). ${r.out && r.outBytes !== undefined ? `Saved with sparse initializers: ${fmtBytes(r.outBytes)} on disk (dense: ${fmtBytes(r.before.summary.fileBytes)}). ` : ''}` +
      `Unstructured zeros shrink the (gzip) download, not dense latency: 'secateurs prune --structured channels' removes channels for speed. ` +
      `Done in ${fmtNum(Math.round(r.seconds))} s.`,
  ].join('\n\n');
}
