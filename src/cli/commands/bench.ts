import type { Command } from 'commander';
import { benchLatency } from '../../runtime/index.js';
import { globals } from '../context.js';
import { loadModelArg, parseIntList, parseIntOption } from '../model-arg.js';
import { fmtNum, printJson, renderTable, type Io } from '../output.js';

/** `secateurs bench MODEL`: measured onnxruntime latency per batch size. */
export function registerBench(program: Command, io: Io): void {
  program
    .command('bench')
    .description('measure onnxruntime latency (median, p10, p90) and throughput per batch size')
    .argument('<model>', 'an .onnx file, or zoo:NAME')
    .option('--batch <list>', 'comma-separated batch sizes', '1,32')
    .option('--runs <n>', 'timed runs per batch size', '50')
    .option('--warmup <n>', 'untimed runs first', '10')
    .option('--threads <n>', 'onnxruntime intra-op threads (0 = one per core)', '1')
    .action(async (spec: string, opts: { batch: string; runs: string; warmup: string; threads: string }, cmd: Command) => {
      const g = globals(cmd);
      const loaded = await loadModelArg(spec);
      const threads = parseIntOption('--threads', opts.threads, 0, 64);
      const rows = await benchLatency(loaded.model, {
        batchSizes: parseIntList('--batch', opts.batch),
        runs: parseIntOption('--runs', opts.runs, 1),
        warmup: parseIntOption('--warmup', opts.warmup, 0),
        threads,
      });
      if (g.json) printJson(io, { model: loaded.label, threads, latency: rows });
      else {
        io.out(renderTable(`${loaded.label}: latency (${threads || 'default'} thread${threads === 1 ? '' : 's'})`,
          ['batch', 'median ms', 'p10 ms', 'p90 ms', 'samples/s', 'runs'],
          rows.map((r) => [r.batch, fmtNum(r.medianMs), fmtNum(r.p10Ms), fmtNum(r.p90Ms), fmtNum(Math.round(r.samplesPerSec)), r.runs]), io.isTty));
      }
    });
}
