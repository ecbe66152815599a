import type { Command } from 'commander';
import { runDemo, type DemoReport } from '../../pipeline/demo.js';
import { globals, wantProgress } from '../context.js';
import { parseIntOption } from '../model-arg.js';
import { fmtBytes, fmtNum, fmtPct, printJson, renderTable, type Io } from '../output.js';
import { formatSummary } from './inspect.js';

/** `secateurs demo`: the main job on the bundled default model. */
export function registerDemo(program: Command, io: Io): void {
  program
    .command('demo')
    .description('the main job on the bundled default (a trained LeNet-5): inspect it, evaluate it on MNIST, measure latency')
    .option('--limit <n>', 'evaluate on the first n test images (default: all 10,000)')
    .option('--model <model>', 'an .onnx file or zoo:NAME instead of the bundled model')
    .action(async (opts: { limit?: string; model?: string }, cmd: Command) => {
      const g = globals(cmd);
      const report = await runDemo({
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
  return [
    formatSummary(r.model, r.summary, true, isTty),
    renderTable(`evaluation on ${r.eval.data}`, ['metric', 'value'], [
      ['samples', r.eval.count], ['top-1 accuracy', fmtPct(r.eval.top1)], ['top-5 accuracy', fmtPct(r.eval.top5)],
      ['loss', fmtNum(r.eval.loss)], ['throughput', `${fmtNum(Math.round(r.eval.samplesPerSec))} samples/s`],
    ], isTty),
    renderTable('latency (onnxruntime-node, 1 thread)', ['batch', 'median ms', 'p10 ms', 'p90 ms', 'samples/s'],
      r.latency.map((l) => [l.batch, fmtNum(l.medianMs), fmtNum(l.p10Ms), fmtNum(l.p90Ms), fmtNum(Math.round(l.samplesPerSec))]), isTty),
    `model file: ${fmtBytes(r.summary.fileBytes)} (${fmtBytes(r.summary.gzipBytes)} gzip). ${r.note}`,
  ].join('\n\n');
}
