import type { Command } from 'commander';
import { loadDataset } from '../../data/index.js';
import { evaluate } from '../../runtime/index.js';
import { globals, wantProgress } from '../context.js';
import { loadModelArg, parseIntOption } from '../model-arg.js';
import { fmtNum, fmtPct, printJson, renderTable, type Io } from '../output.js';

/** `secateurs eval MODEL --data mnist`: accuracy and loss on a dataset. */
export function registerEval(program: Command, io: Io): void {
  program
    .command('eval')
    .description('evaluate a classifier: top-1/top-5 accuracy, cross-entropy loss, throughput')
    .argument('<model>', 'an .onnx file, or zoo:NAME')
    .requiredOption('--data <spec>', 'mnist, fashion-mnist, or an .npz file with x and y arrays')
    .option('--split <name>', 'dataset split', 'test')
    .option('--batch <n>', 'samples per run', '256')
    .option('--limit <n>', 'evaluate only the first n samples')
    .option('--threads <n>', 'onnxruntime intra-op threads', '1')
    .action(async (spec: string, opts: EvalOpts, cmd: Command) => {
      const g = globals(cmd);
      const loaded = await loadModelArg(spec);
      const data = await loadDataset(opts.data, opts.split);
      const r = await evaluate(loaded.model, data, {
        batchSize: parseIntOption('--batch', opts.batch, 1),
        ...(opts.limit !== undefined ? { limit: parseIntOption('--limit', opts.limit, 1) } : {}),
        session: { threads: parseIntOption('--threads', opts.threads, 0, 64) },
        progress: wantProgress(g),
      });
      const result = { model: loaded.label, data: `${data.name}/${data.split}`, count: r.count, top1: r.top1, top5: r.top5, loss: r.loss, samplesPerSec: r.samplesPerSec };
      if (g.json) printJson(io, result);
      else {
        io.out(renderTable(`${loaded.label} on ${result.data}`, ['metric', 'value'], [
          ['samples', r.count], ['top-1 accuracy', fmtPct(r.top1)], ['top-5 accuracy', fmtPct(r.top5)],
          ['loss (cross-entropy)', fmtNum(r.loss)], ['throughput', `${fmtNum(Math.round(r.samplesPerSec))} samples/s`],
        ], io.isTty));
      }
    });
}

interface EvalOpts {
  readonly data: string;
  readonly split: string;
  readonly batch: string;
  readonly limit?: string;
  readonly threads: string;
}
