import type { Command } from 'commander';
import { saveModel } from '../../onnx/index.js';
import type { DistillOptions } from '../../train/index.js';
import { RECOVER_METHODS, runPrune, type PruneMode, type PruneResult, type PruneSchedule, type RecoverMethod } from '../../pipeline/prune.js';
import { CRITERIA, type CriterionName, type Granularity } from '../../prune/index.js';
import {
  buildDependencyGraph, GROUP_CRITERIA, GROUP_KINDS, loadPlan, savePlan, type GroupCriterion, type GroupKind, type GroupNormalization, type GroupReduction,
} from '../../prune/structure/index.js';
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
    .option('--structured <kinds>', `remove whole coupled groups of these kinds (comma-separated): ${GROUP_KINDS.join(' | ')}`)
    .option('--ratio <x>', 'structured: fraction of each group\'s channels to remove')
    .option('--target-params <x>', 'structured: keep this fraction of the parameters (e.g. 0.5)')
    .option('--target-macs <x>', 'structured: keep this fraction of the MACs (e.g. 0.5)')
    .option('--plan <file>', 'structured: apply a plan saved by --plan-out (JSON; reviewed or edited) instead of scoring and planning')
    .option('--plan-out <file>', 'structured: also write the plan (which channels of which group go) as JSON')
    .option('--target-latency <x>', 'structured: keep this fraction of the measured onnxruntime latency (per-layer lookup table, verified at the end)')
    .option('--latency-cache <file>', 'structured: JSON file caching latency tables (keyed by model hash, threads, batch)')
    .option('--latency-batch <n>', 'structured: batch size the latency target refers to', '1')
    .option('--latency-threads <n>', 'structured: onnxruntime threads the latency target refers to', '1')
    .option('--criterion <name>', `structured group score: ${GROUP_CRITERIA.join(' | ')} (taylor, fisher, activation read calibration data)`, 'l2')
    .option('--reduction <how>', 'structured: combine member scores by sum | mean | max', 'sum')
    .option('--normalize <how>', 'structured: per-group score normalization none | sum | mean | max | standardize', 'none')
    .option('--structured-scope <scope>', 'structured: layer (the same fraction of every group) | global (one ranking of all channels; pair with --normalize)', 'layer')
    .option('--round-to <n>', 'structured: keep channel counts that are multiples of n (faster CPU kernels)', '8')
    .option('--protect <regex>', 'structured: leave groups whose source layers match whole')
    .option('--schedule <kind>', 'oneshot | iterative (prune/fine-tune rounds) | agp (gradual, during fine-tuning)', 'oneshot')
    .option('--rounds <n>', 'iterative: prune/fine-tune rounds', '3')
    .option('--agp-frequency <steps>', 'agp: recompute masks every this many steps', '100')
    .option('--finetune-epochs <n>', 'fine-tune after pruning (per round for iterative), pruned weights held at zero', '0')
    .option('--recover <method>', 'repair after pruning: none | bn (re-calibrate BatchNorm statistics, no labels) | lsq (refit the layers after removed channels by least squares; structured) | finetune (same as --finetune-epochs, default 1 epoch) | distill (fine-tune on the original model\'s soft labels)', 'none')
    .option('--teacher <model>', 'distill: the teacher (an .onnx file; default the model being pruned)')
    .option('--alpha <x>', 'distill: weight of the KL term in [0, 1] (1: no labels used)')
    .option('--temperature <t>', 'distill: softmax temperature > 0')
    .option('--lr <x>', 'fine-tuning learning rate (Adam)', '0.0001')
    .option('--shift <pixels>', 'fine-tuning data augmentation: translate each training image by up to this many pixels', '0')
    .option('--sparse-storage', 'save pruned tensors as ONNX sparse initializers when that makes the file smaller')
    .option('--test-limit <n>', 'report before/after on the first n test samples only')
    .option('--seed <n>', 'seed (random criterion, fine-tuning order)', '0')
    .action(async (spec: string, opts: PruneCliOptions, cmd: Command) => {
      const g = globals(cmd);
      let mode = modeFrom(opts);
      const schedule = scheduleFrom(opts);
      const recover = recoverFrom(opts);
      const loaded = await loadModelArg(spec);
      if (opts.plan !== undefined && mode.kind === 'structured') mode = { ...mode, plan: await loadPlan(opts.plan, buildDependencyGraph(loaded.model)) };
      const r = await runPrune(loaded.model, {
        mode, data: opts.data, schedule, finetuneEpochs: recover.epochs, recover: recover.method, ...distillFrom(opts, recover.method),
        finetune: { lr: parseNumberOption('--lr', opts.lr, { min: 0, openMin: true }), shift: parseIntOption('--shift', opts.shift, 0) }, seed: parseIntOption('--seed', opts.seed, 0),
        ...(opts.testLimit !== undefined ? { testLimit: parseIntOption('--test-limit', opts.testLimit, 1) } : {}),
        log: g.json || g.quiet ? undefined : (l) => io.err(l),
      });
      await saveModel(r.model, opts.out, { sparse: opts.sparseStorage ? 'all' : 'keep' });
      if (opts.planOut !== undefined && r.plan.structured) await savePlan(opts.planOut, buildDependencyGraph(loaded.model), r.plan.structured);
      if (g.json) {
        printJson(io, {
          model: loaded.label, out: opts.out,
          mode: { ...mode, ...('protect' in mode && mode.protect ? { protect: mode.protect.source } : {}), ...('plan' in mode && mode.plan ? { plan: opts.plan } : {}) },
          ...(opts.planOut !== undefined ? { planOut: opts.planOut } : {}),
          before: r.before, after: r.after, agreement: r.agreement, report: r.report, ...(r.structured ? { structured: r.structured } : {}),
        });
      }
      else io.out(formatPrune(loaded.label, opts.out, r, io.isTty));
    });
}

interface PruneCliOptions {
  readonly data: string; readonly out: string; readonly method: string; readonly scope: string; readonly sparsity: string;
  readonly pattern?: string; readonly block?: string; readonly exclude?: string[]; readonly keepClassifier?: boolean;
  readonly keepFirst?: boolean; readonly structured?: string; readonly ratio?: string; readonly plan?: string; readonly planOut?: string; readonly targetParams?: string; readonly targetMacs?: string;
  readonly targetLatency?: string; readonly latencyCache?: string; readonly latencyBatch: string; readonly latencyThreads: string;
  readonly criterion: string; readonly reduction: string; readonly normalize: string;
  readonly roundTo: string; readonly structuredScope: string; readonly protect?: string; readonly finetuneEpochs: string;
  readonly lr: string; readonly shift: string; readonly sparseStorage?: boolean; readonly testLimit?: string; readonly seed: string;
  readonly schedule: string; readonly rounds: string; readonly agpFrequency: string; readonly recover: string;
  readonly teacher?: string; readonly alpha?: string; readonly temperature?: string;
}

/** --teacher, --alpha, --temperature: only with --recover distill. */
function distillFrom(o: PruneCliOptions, method: RecoverMethod): { distill?: Partial<DistillOptions> } {
  const given = [o.teacher && '--teacher', o.alpha && '--alpha', o.temperature && '--temperature'].filter((x) => x);
  if (method !== 'distill') {
    if (given.length > 0) throw new RangeError(`${given.join(', ')} ${given.length > 1 ? 'apply' : 'applies'} to '--recover distill' only.`);
    return {};
  }
  return {
    distill: {
      ...(o.teacher !== undefined ? { teacher: o.teacher } : {}),
      ...(o.alpha !== undefined ? { alpha: parseNumberOption('--alpha', o.alpha, { min: 0, max: 1 }) } : {}),
      ...(o.temperature !== undefined ? { temperature: parseNumberOption('--temperature', o.temperature, { min: 0, openMin: true }) } : {}),
    },
  };
}

/** --recover and --finetune-epochs together: the repair and the fine-tuning epochs. */
function recoverFrom(o: PruneCliOptions): { method: RecoverMethod; epochs: number } {
  const epochs = parseIntOption('--finetune-epochs', o.finetuneEpochs, 0);
  const method = RECOVER_METHODS.find((m) => m === o.recover);
  if (!method) throw new RangeError(`'--recover' must be one of ${RECOVER_METHODS.join(', ')}, got '${o.recover}'.`);
  if (method === 'lsq' && o.structured === undefined) throw new RangeError(`'--recover lsq' refits the layers after removed channels; it needs '--structured'.`);
  return { method, epochs: method === 'finetune' || method === 'distill' ? Math.max(1, epochs) : epochs };
}

function scheduleFrom(o: PruneCliOptions): PruneSchedule {
  switch (o.schedule) {
    case 'oneshot': return { kind: 'oneshot' };
    case 'iterative': return { kind: 'iterative', rounds: parseIntOption('--rounds', o.rounds, 1) };
    case 'agp': return { kind: 'agp', frequency: parseIntOption('--agp-frequency', o.agpFrequency, 1) };
    default: throw new RangeError(`'--schedule' must be one of oneshot, iterative, agp, got '${o.schedule}'.`);
  }
}

function oneOf<T extends string>(flag: string, value: string, valid: readonly T[]): T {
  const hit = valid.find((v) => v === value);
  if (hit === undefined) throw new RangeError(`'${flag}' must be one of ${valid.join(', ')}, got '${value}'.`);
  return hit;
}

/** Options that only structured pruning reads, by flag, when given. */
function structuredOnly(o: PruneCliOptions): string[] {
  const given: [string, unknown][] = [['--ratio', o.ratio], ['--plan', o.plan], ['--plan-out', o.planOut], ['--target-params', o.targetParams], ['--target-macs', o.targetMacs], ['--target-latency', o.targetLatency], ['--latency-cache', o.latencyCache], ['--protect', o.protect]];
  return given.filter(([, v]) => v !== undefined).map(([k]) => k);
}

/** Turns the options into a prune mode, checking every value before any work starts. */
function modeFrom(o: PruneCliOptions): PruneMode {
  if (o.structured !== undefined || o.plan !== undefined) return structuredMode(o);
  const stray = structuredOnly(o);
  if (stray.length > 0) throw new RangeError(`${stray.map((f) => `'${f}'`).join(', ')} appl${stray.length > 1 ? 'y' : 'ies'} to structured pruning; add '--structured ${GROUP_KINDS.join(',')}'.`);
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

function structuredMode(o: PruneCliOptions): Extract<PruneMode, { kind: 'structured' }> {
  const kinds = (o.structured ?? GROUP_KINDS.join(',')).split(',').map((k) => oneOf('--structured', k.trim(), GROUP_KINDS));
  const criterion: GroupCriterion = oneOf('--criterion', o.criterion, GROUP_CRITERIA);
  const reduction: GroupReduction = oneOf('--reduction', o.reduction, ['sum', 'mean', 'max']);
  const normalize: GroupNormalization = oneOf('--normalize', o.normalize, ['none', 'sum', 'mean', 'max', 'standardize']);
  const targets = [o.ratio, o.targetParams, o.targetMacs, o.targetLatency, o.plan].filter((x) => x !== undefined).length;
  if (targets !== 1) throw new RangeError(`structured pruning needs exactly one of '--ratio', '--target-params', '--target-macs', '--target-latency' or '--plan'.`);
  if (o.latencyCache !== undefined && o.targetLatency === undefined) throw new RangeError(`'--latency-cache' applies to '--target-latency'.`);
  const fraction = { min: 0, max: 1, openMin: true };
  return {
    kind: 'structured', criterion, kinds: [...new Set<GroupKind>(kinds)], reduction, normalize, roundTo: parseIntOption('--round-to', o.roundTo, 1),
    scope: oneOf('--structured-scope', o.structuredScope, ['layer', 'global'] as const),
    ...(o.ratio !== undefined ? { ratio: parseNumberOption('--ratio', o.ratio, UNIT) } : {}),
    ...(o.targetParams !== undefined ? { targetParams: parseNumberOption('--target-params', o.targetParams, fraction) } : {}),
    ...(o.targetMacs !== undefined ? { targetMacs: parseNumberOption('--target-macs', o.targetMacs, fraction) } : {}),
    ...(o.targetLatency !== undefined ? {
      targetLatency: parseNumberOption('--target-latency', o.targetLatency, fraction),
      latency: {
        batch: parseIntOption('--latency-batch', o.latencyBatch, 1), threads: parseIntOption('--latency-threads', o.latencyThreads, 1),
        ...(o.latencyCache !== undefined ? { cache: o.latencyCache } : {}),
      },
    } : {}),
    ...(o.protect !== undefined ? { protect: new RegExp(o.protect) } : {}),
  };
}

function formatPrune(label: string, out: string, r: PruneResult, isTty: boolean): string {
  return [
    formatBeforeAfter(`${label} -> ${out}`, r.before, r.after, isTty),
    `compression ${fmtNum(r.report.compressionRatio)}x (all / nonzero parameters), theoretical speedup ${fmtNum(r.report.theoreticalSpeedup)}x (MACs / nonzero MACs); ` +
      `right after pruning, top-1 agreement with the original ${fmtPct(r.agreement.top1Agreement)}, KL ${fmtNum(r.agreement.klDivergence)}`,
    ...(r.structured ? [formatStructured(r.structured)] : []),
  ].join('\n\n');
}

function formatStructured(d: NonNullable<PruneResult['structured']>): string {
  const lines = [`structured: ${fmtPct(d.ratio)} of each pruned group's channels removed, MACs ${fmtPct(d.macs.pruned / d.macs.dense)} of dense`];
  if (d.latency) {
    const l = d.latency;
    lines.push(`latency target ${fmtPct(l.target)} of dense: predicted ${fmtPct(l.predictedFraction)} (lookup table${l.cached ? ', cached' : ''}), ` +
      `measured ${fmtPct(l.measured.fraction)} (${fmtNum(l.measured.prunedMs)} / ${fmtNum(l.measured.denseMs)} ms)`);
  }
  for (const l of d.lsq ?? []) {
    lines.push(l.status === 'solved'
      ? `lsq ${l.node}: relative output error ${fmtNum(l.errorBefore ?? NaN)} -> ${fmtNum(l.errorAfter ?? NaN)} (${l.unknowns} unknowns x ${l.outputs} outputs, ${l.rows} rows)`
      : `lsq ${l.node} (${l.opType}) skipped: ${l.reason ?? ''}`);
  }
  return lines.join('\n');
}
