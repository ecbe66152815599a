import type { Command } from 'commander';
import { saveModel } from '../../onnx/index.js';
import { runPrune, type PruneMode, type PruneResult, type PruneSchedule } from '../../pipeline/prune.js';
import { CRITERIA, type CriterionName, type Granularity } from '../../prune/index.js';
import type { GroupCriterion } from '../../prune/structure/index.js';
import { globals } from '../context.js';
import { loadModelArg, parseIntOption, parseNumberOption } from '../model-arg.js';

/** [0, 1): sparsities and ratios. */
const UNIT = { min: 0, max: 1, openMax: true };
import { fmtNum, fmtPct, printJson, type Io } from '../output.js';
import { formatBeforeAfter } from './before-after.js';

/** `secateurs prune MODEL ...`: unstructured or structured pruning with optional fine-tuning, before/after report. */
export function registerPrune(program: Command, io: Io): void {
  program
    .command('prune')
    .description('prune weights (unstructured, N:M, blocks) or remove channels/neurons/heads (--structured); fine-tune; report before/after')
    .argument('<model>', 'an .onnx file, or zoo:NAME')
    .requiredOption('--data <spec>', 'mnist, fashion-mnist or an .npz file (test split reports, train split fine-tunes/calibrates)')
    .requiredOption('--out <file>', 'where to write the pruned model (.onnx)')
    .option('--method <criterion>', `unstructured criterion: ${Object.keys(CRITERIA).join(' | ')}`, 'magnitude')
    .option('--scope <scope>', 'layer (same sparsity per layer) | global (one ranking)', 'global')
    .option('--sparsity <x>', 'fraction of weights to remove, in [0, 1)', '0.9')
    .option('--pattern <n:m>', 'N:M semi-structured sparsity along the input dimension, e.g. 2:4')
    .option('--block <hxw>', 'prune whole blocks of the [out, in] view, e.g. 4x4')
    .option('--exclude <regex...>', 'leave layers whose weight name matches dense')
    .option('--keep-classifier', 'leave the layer feeding the output dense')
    .option('--keep-first', 'leave the layer reading the input dense')
    .option('--structured <kind>', 'remove whole channels/neurons/heads (coupled groups): channels')
    .option('--ratio <x>', 'structured: fraction of each group\'s channels to remove')
    .option('--target-macs <x>', 'structured: keep this fraction of the MACs (e.g. 0.5)')
    .option('--criterion <name>', 'structured group score: l1 | l2 | bn-scale | random', 'l2')
    .option('--round-to <n>', 'structured: keep channel counts that are multiples of n (faster CPU kernels)', '8')
    .option('--protect <regex>', 'structured: leave groups whose source layers match whole')
    .option('--schedule <kind>', 'oneshot | iterative (prune/fine-tune rounds) | agp (gradual, during fine-tuning)', 'oneshot')
    .option('--rounds <n>', 'iterative: prune/fine-tune rounds', '3')
    .option('--agp-frequency <steps>', 'agp: recompute masks every this many steps', '100')
    .option('--finetune-epochs <n>', 'fine-tune after pruning (per round for iterative), pruned weights held at zero', '0')
    .option('--recover <method>', 'repair after pruning: finetune (same as --finetune-epochs, default 1 epoch) | bn (re-calibrate BatchNorm statistics, no labels) | none', 'none')
    .option('--lr <x>', 'fine-tuning learning rate (Adam)', '0.0001')
    .option('--sparse-storage', 'save pruned tensors as ONNX sparse initializers when that makes the file smaller')
    .option('--test-limit <n>', 'report before/after on the first n test samples only')
    .option('--seed <n>', 'seed (random criterion, fine-tuning order)', '0')
    .action(async (spec: string, opts: PruneCliOptions, cmd: Command) => {
      const g = globals(cmd);
      const mode = modeFrom(opts);
      const schedule = scheduleFrom(opts);
      const recover = recoverFrom(opts);
      const loaded = await loadModelArg(spec);
      const r = await runPrune(loaded.model, {
        mode, data: opts.data, schedule, finetuneEpochs: recover.epochs, ...(recover.bn ? { recalibrate: 'bn' as const } : {}),
        finetune: { lr: parseNumberOption('--lr', opts.lr, { min: 0, openMin: true }) }, seed: parseIntOption('--seed', opts.seed, 0),
        ...(opts.testLimit !== undefined ? { testLimit: parseIntOption('--test-limit', opts.testLimit, 1) } : {}),
        log: g.json || g.quiet ? undefined : (l) => io.err(l),
      });
      await saveModel(r.model, opts.out, { sparse: opts.sparseStorage ? 'all' : 'keep' });
      if (g.json) printJson(io, { model: loaded.label, out: opts.out, mode, before: r.before, after: r.after, agreement: r.agreement, report: r.report });
      else io.out(formatPrune(loaded.label, opts.out, r, io.isTty));
    });
}

interface PruneCliOptions {
  readonly data: string; readonly out: string; readonly method: string; readonly scope: string; readonly sparsity: string;
  readonly pattern?: string; readonly block?: string; readonly exclude?: string[]; readonly keepClassifier?: boolean;
  readonly keepFirst?: boolean; readonly structured?: string; readonly ratio?: string; readonly targetMacs?: string;
  readonly criterion: string; readonly roundTo: string; readonly protect?: string; readonly finetuneEpochs: string;
  readonly lr: string; readonly sparseStorage?: boolean; readonly testLimit?: string; readonly seed: string;
  readonly schedule: string; readonly rounds: string; readonly agpFrequency: string; readonly recover: string;
}

/** --recover and --finetune-epochs together: fine-tuning epochs and whether to re-calibrate BatchNorm. */
function recoverFrom(o: PruneCliOptions): { epochs: number; bn: boolean } {
  const epochs = parseIntOption('--finetune-epochs', o.finetuneEpochs, 0);
  switch (o.recover) {
    case 'none': return { epochs, bn: false };
    case 'finetune': return { epochs: Math.max(1, epochs), bn: false };
    case 'bn': return { epochs, bn: true };
    default: throw new RangeError(`'--recover' must be one of finetune, bn, none, got '${o.recover}' (distillation and least-squares reconstruction are not available yet).`);
  }
}

function scheduleFrom(o: PruneCliOptions): PruneSchedule {
  switch (o.schedule) {
    case 'oneshot': return { kind: 'oneshot' };
    case 'iterative': return { kind: 'iterative', rounds: parseIntOption('--rounds', o.rounds, 1) };
    case 'agp': return { kind: 'agp', frequency: parseIntOption('--agp-frequency', o.agpFrequency, 1) };
    default: throw new RangeError(`'--schedule' must be one of oneshot, iterative, agp, got '${o.schedule}'.`);
  }
}

const GROUP_CRITERIA: readonly GroupCriterion[] = ['l1', 'l2', 'bn-scale', 'random'];

/** Turns the options into a prune mode, checking every value before any work starts. */
function modeFrom(o: PruneCliOptions): PruneMode {
  if (o.structured !== undefined) {
    if (o.structured !== 'channels') throw new RangeError(`'--structured' must be 'channels' (channels, neurons and heads are all channel groups), got '${o.structured}'.`);
    const criterion = GROUP_CRITERIA.find((c) => c === o.criterion);
    if (!criterion) throw new RangeError(`'--criterion' must be one of ${GROUP_CRITERIA.join(', ')}, got '${o.criterion}'.`);
    if ((o.ratio === undefined) === (o.targetMacs === undefined)) throw new RangeError(`structured pruning needs exactly one of '--ratio' or '--target-macs'.`);
    return {
      kind: 'structured', criterion, roundTo: parseIntOption('--round-to', o.roundTo, 1),
      ...(o.ratio !== undefined ? { ratio: parseNumberOption('--ratio', o.ratio, UNIT) } : {}),
      ...(o.targetMacs !== undefined ? { targetMacs: parseNumberOption('--target-macs', o.targetMacs, { min: 0, max: 1, openMin: true }) } : {}),
      ...(o.protect !== undefined ? { protect: new RegExp(o.protect) } : {}),
    };
  }
  if (!(o.method in CRITERIA)) throw new RangeError(`'--method' must be one of ${Object.keys(CRITERIA).join(', ')}, got '${o.method}'.`);
  if (o.scope !== 'layer' && o.scope !== 'global') throw new RangeError(`'--scope' must be layer or global, got '${o.scope}'.`);
  return {
    kind: 'unstructured', criterion: o.method as CriterionName, scope: o.scope, sparsity: parseNumberOption('--sparsity', o.sparsity, UNIT),
    ...(granularity(o) ? { granularity: granularity(o)! } : {}),
    ...(o.exclude ? { exclude: o.exclude.map((x) => new RegExp(x)) } : {}),
    ...(o.keepClassifier ? { keepClassifier: true } : {}), ...(o.keepFirst ? { keepFirst: true } : {}),
  };
}

function granularity(o: PruneCliOptions): Granularity | undefined {
  if (o.pattern !== undefined && o.block !== undefined) throw new RangeError(`give either '--pattern' or '--block', not both.`);
  if (o.pattern !== undefined) {
    const m = /^(\d+):(\d+)$/.exec(o.pattern);
    if (!m) throw new RangeError(`'--pattern' must look like N:M (e.g. 2:4), got '${o.pattern}'.`);
    const [n, mm] = [Number(m[1]), Number(m[2])];
    if (n < 1 || n > mm) throw new RangeError(`'--pattern' needs 1 <= N <= M, got ${n}:${mm}.`);
    return { kind: 'nm', n, m: mm };
  }
  if (o.block !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(o.block);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new RangeError(`'--block' must look like HxW with H, W >= 1 (e.g. 4x4), got '${o.block}'.`);
    return { kind: 'block', rows: Number(m[1]), cols: Number(m[2]) };
  }
  return undefined;
}




function formatPrune(label: string, out: string, r: PruneResult, isTty: boolean): string {
  return [
    formatBeforeAfter(`${label} -> ${out}`, r.before, r.after, isTty),
    `compression ${fmtNum(r.report.compressionRatio)}x (all / nonzero parameters), theoretical speedup ${fmtNum(r.report.theoreticalSpeedup)}x (MACs / nonzero MACs); ` +
      `right after pruning, top-1 agreement with the original ${fmtPct(r.agreement.top1Agreement)}, KL ${fmtNum(r.agreement.klDivergence)}`,
  ].join('\n\n');
}
