import type { Command } from 'commander';
import { loadDataset } from '../../data/index.js';
import { compareModels } from '../../runtime/index.js';
import { globals } from '../context.js';
import { CheckFailed } from '../exit.js';
import { loadModelArg, parseIntOption } from '../model-arg.js';
import { fmtNum, fmtPct, printJson, renderTable, type Io } from '../output.js';

/** `secateurs compare A B --data mnist`: how far two models' outputs are apart. */
export function registerCompare(program: Command, io: Io): void {
  program
    .command('compare')
    .description('run two models on the same inputs: max/mean abs diff, cosine, top-1 agreement, KL divergence')
    .argument('<a>', 'reference model (.onnx or zoo:NAME)')
    .argument('<b>', 'candidate model (.onnx or zoo:NAME)')
    .requiredOption('--data <spec>', 'mnist, fashion-mnist, or an .npz file')
    .option('--split <name>', 'dataset split', 'test')
    .option('--limit <n>', 'compare on the first n samples', '1000')
    .option('--batch <n>', 'samples per run', '256')
    .option('--max-diff <x>', 'fail (exit 4) if the max abs diff exceeds x')
    .option('--min-agreement <x>', 'fail (exit 4) if top-1 agreement is below x (0..1)')
    .action(async (specA: string, specB: string, opts: CompareOpts, cmd: Command) => {
      const g = globals(cmd);
      const [a, b] = [await loadModelArg(specA), await loadModelArg(specB)];
      const data = await loadDataset(opts.data, opts.split);
      const r = await compareModels(a.model, b.model, data, {
        limit: parseIntOption('--limit', opts.limit, 1), batchSize: parseIntOption('--batch', opts.batch, 1),
      });
      if (g.json) printJson(io, { a: a.label, b: b.label, data: `${data.name}/${data.split}`, ...r });
      else {
        io.out(renderTable(`${a.label} vs ${b.label} on ${r.count} samples of ${data.name}/${data.split}`, ['metric', 'value'], [
          ['max abs diff', fmtNum(r.maxAbsDiff)], ['mean abs diff', fmtNum(r.meanAbsDiff)], ['mean cosine', fmtNum(r.meanCosine)],
          ['top-1 agreement', fmtPct(r.top1Agreement)], ['KL(a || b)', fmtNum(r.klDivergence)],
        ], io.isTty));
      }
      const maxDiff = opts.maxDiff !== undefined ? parseFloatOption('--max-diff', opts.maxDiff) : undefined;
      const minAgree = opts.minAgreement !== undefined ? parseFloatOption('--min-agreement', opts.minAgreement) : undefined;
      if (maxDiff !== undefined && !(r.maxAbsDiff <= maxDiff)) throw new CheckFailed(`max abs diff ${fmtNum(r.maxAbsDiff)} exceeds --max-diff ${maxDiff}.`);
      if (minAgree !== undefined && !(r.top1Agreement >= minAgree)) throw new CheckFailed(`top-1 agreement ${fmtPct(r.top1Agreement)} is below --min-agreement ${minAgree}.`);
    });
}

function parseFloatOption(option: string, text: string): number {
  const x = Number(text);
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`'${option}' must be a number >= 0, got '${text}'.`);
  return x;
}

interface CompareOpts {
  readonly data: string;
  readonly split: string;
  readonly limit: string;
  readonly batch: string;
  readonly maxDiff?: string;
  readonly minAgreement?: string;
}
