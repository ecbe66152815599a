import type { Command } from 'commander';
import { saveModel } from '../../onnx/index.js';
import { runTraining, type TrainingJob, type TrainingReport } from '../../pipeline/train.js';
import { globals, wantProgress, withInterrupt } from '../context.js';
import { DEFAULT_ALPHA, DEFAULT_TEMPERATURE, type DistillOptions } from '../../train/index.js';
import { loadModelArg, parseIntOption, parseNumberOption } from '../model-arg.js';
import { fmtNum, fmtPct, printJson, type Io } from '../output.js';
import { formatBeforeAfter } from './before-after.js';

/** `secateurs train` and `secateurs finetune` (the same, with zero weights held at zero). */
export function registerTrain(program: Command, io: Io): void {
  for (const [name, keepZeros, about] of [
    ['train', false, 'train a classifier with gradient graphs run by onnxruntime; reports before/after'],
    ['finetune', true, 'fine-tune a (pruned) model: like train, but weights that are exactly zero stay zero'],
  ] as const) {
    const cmd = program.command(name).description(about).argument('<model>', 'an .onnx file, or zoo:NAME');
    addTrainOptions(cmd).action(async (spec: string, opts: TrainCliOptions, c: Command) => {
      const g = globals(c);
      const loaded = await loadModelArg(spec);
      const hint = opts.checkpointDir ? `resume with: secateurs ${name} ${spec} --resume ${opts.checkpointDir} (same options)` : undefined;
      await withInterrupt(io, hint, async (signal) => {
        const distill = await distillFrom(opts);
        const job = { ...jobFrom(opts, keepZeros, g.json || g.quiet ? undefined : io.err), ...(distill ? { distill } : {}) };
        const report = await runTraining(loaded.model, { ...job, progress: wantProgress(g), signal });
        await saveModel(report.model, opts.out);
        if (g.json) printJson(io, { model: loaded.label, out: opts.out, ...withoutModel(report) });
        else io.out(formatTraining(loaded.label, opts.out, report, io.isTty));
      });
    });
  }
}

/** Options shared by train and finetune. */
function addTrainOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--data <spec>', 'mnist, fashion-mnist, or an .npz file (train split to train, test split to report)')
    .requiredOption('--out <file>', 'where to write the trained model (.onnx)')
    .option('--epochs <n>', 'epochs', '1')
    .option('--batch <n>', 'batch size', '64')
    .option('--optimizer <name>', 'sgd | adam | adamw', 'adam')
    .option('--lr <x>', 'peak learning rate', '0.001')
    .option('--momentum <x>', 'SGD momentum', '0')
    .option('--nesterov', 'Nesterov momentum (SGD)')
    .option('--weight-decay <x>', 'weight decay (decoupled for adamw)', '0')
    .option('--schedule <name>', 'constant | cosine', 'constant')
    .option('--warmup <steps>', 'linear warm-up steps', '0')
    .option('--clip-norm <x>', 'clip gradients to this global L2 norm')
    .option('--label-smoothing <x>', 'label smoothing of the cross-entropy', '0')
    .option('--shift <pixels>', 'data augmentation: translate each training image by up to this many pixels (border repeated)', '0')
    .option('--val-fraction <x>', 'fraction of the training split held out for validation (0 = none)', '0.1')
    .option('--early-stop <patience>', 'stop after this many epochs without validation improvement')
    .option('--seed <n>', 'seed of the batch order and split', '0')
    .option('--checkpoint-dir <dir>', 'write resumable checkpoints here (every epoch and on Ctrl-C)')
    .option('--checkpoint-every <steps>', 'also checkpoint every n steps')
    .option('--resume <checkpoint>', 'continue an interrupted run (pass the same options)')
    .option('--threads <n>', 'onnxruntime intra-op threads', '1')
    .option('--test-limit <n>', 'report before/after on the first n test samples only')
    .option('--teacher <model>', 'distil from this model (.onnx file or zoo:NAME): loss alpha·T²·KL(teacher ‖ student) + (1 − alpha)·CE')
    .option('--alpha <x>', `weight of the distillation term, in [0, 1] (1: no labels used; default ${DEFAULT_ALPHA})`)
    .option('--temperature <x>', `softmax temperature of the distillation term, > 0 (default ${DEFAULT_TEMPERATURE})`);
}

/** The distillation options of `--teacher`, `--alpha`, `--temperature` (the last two need the first). */
async function distillFrom(o: TrainCliOptions): Promise<DistillOptions | undefined> {
  if (o.teacher === undefined) {
    const stray = [o.alpha !== undefined ? '--alpha' : '', o.temperature !== undefined ? '--temperature' : ''].filter((x) => x);
    if (stray.length > 0) throw new RangeError(`${stray.map((x) => `'${x}'`).join(' and ')} shape${stray.length > 1 ? '' : 's'} the distillation loss: give '--teacher' too.`);
    return undefined;
  }
  const alpha = o.alpha === undefined ? undefined : parseNumberOption('--alpha', o.alpha, { min: 0, max: 1 });
  const temperature = o.temperature === undefined ? undefined : parseNumberOption('--temperature', o.temperature, { min: 0, openMin: true });
  // A file is passed by path, so checkpoints record where the teacher came from; zoo models are built here.
  const teacher = o.teacher.startsWith('zoo:') ? (await loadModelArg(o.teacher)).model : o.teacher;
  return { teacher, ...(alpha !== undefined ? { alpha } : {}), ...(temperature !== undefined ? { temperature } : {}) };
}

interface TrainCliOptions {
  readonly data: string; readonly out: string; readonly epochs: string; readonly batch: string; readonly optimizer: string;
  readonly lr: string; readonly momentum: string; readonly nesterov?: boolean; readonly weightDecay: string;
  readonly schedule: string; readonly warmup: string; readonly clipNorm?: string; readonly labelSmoothing: string;
  readonly shift: string; readonly valFraction: string; readonly earlyStop?: string; readonly seed: string; readonly checkpointDir?: string;
  readonly checkpointEvery?: string; readonly resume?: string; readonly threads: string; readonly testLimit?: string;
  readonly teacher?: string; readonly alpha?: string; readonly temperature?: string;
}

const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
const SCHEDULES = ['constant', 'cosine'] as const;

function jobFrom(o: TrainCliOptions, keepZeros: boolean, log: ((line: string) => void) | undefined): TrainingJob {
  const optimizer = OPTIMIZERS.find((x) => x === o.optimizer);
  if (!optimizer) throw new RangeError(`'--optimizer' must be one of ${OPTIMIZERS.join(', ')}, got '${o.optimizer}'.`);
  const schedule = SCHEDULES.find((x) => x === o.schedule);
  if (!schedule) throw new RangeError(`'--schedule' must be one of ${SCHEDULES.join(', ')}, got '${o.schedule}'.`);
  return {
    data: o.data, keepZeros, log, optimizer, schedule,
    epochs: parseIntOption('--epochs', o.epochs, 1), batchSize: parseIntOption('--batch', o.batch, 1),
    lr: num('--lr', o.lr, 0, false), momentum: num('--momentum', o.momentum, 0), weightDecay: num('--weight-decay', o.weightDecay, 0),
    warmupSteps: parseIntOption('--warmup', o.warmup, 0), labelSmoothing: num('--label-smoothing', o.labelSmoothing, 0),
    shift: parseIntOption('--shift', o.shift, 0),
    valFraction: num('--val-fraction', o.valFraction, 0), seed: parseIntOption('--seed', o.seed, 0),
    threads: parseIntOption('--threads', o.threads, 0, 64),
    ...(o.nesterov ? { nesterov: true } : {}),
    ...(o.clipNorm !== undefined ? { clipNorm: num('--clip-norm', o.clipNorm, 0, false) } : {}),
    ...(o.earlyStop !== undefined ? { earlyStopping: { patience: parseIntOption('--early-stop', o.earlyStop, 1) } } : {}),
    ...(o.checkpointDir !== undefined ? { checkpointDir: o.checkpointDir } : {}),
    ...(o.checkpointEvery !== undefined ? { checkpointEvery: parseIntOption('--checkpoint-every', o.checkpointEvery, 1) } : {}),
    ...(o.resume !== undefined ? { resume: o.resume } : {}),
    ...(o.testLimit !== undefined ? { testLimit: parseIntOption('--test-limit', o.testLimit, 1) } : {}),
  };
}

/** A number option >= min (or > min when `inclusive` is false). */
function num(option: string, text: string, min: number, inclusive = true): number {
  const x = Number(text);
  if (!Number.isFinite(x) || (inclusive ? x < min : x <= min)) {
    throw new RangeError(`'${option}' must be a number ${inclusive ? '>=' : '>'} ${min}, got '${text}'.`);
  }
  return x;
}

function withoutModel(r: TrainingReport): Omit<TrainingReport, 'model'> {
  const { model: _m, ...rest } = r;
  return rest;
}

function formatTraining(label: string, out: string, r: TrainingReport, isTty: boolean): string {
  const epochs = r.history.map((h) => `epoch ${h.epoch + 1}: train loss ${fmtNum(h.trainLoss)}` +
    (Number.isNaN(h.trainAcc) ? '' : `, acc ${fmtPct(h.trainAcc)}`) + (h.trainAgreement !== undefined ? `, agreement with teacher ${fmtPct(h.trainAgreement)}` : '') +
    (h.valAcc !== undefined && !Number.isNaN(h.valAcc) ? `, val acc ${fmtPct(h.valAcc)}` : '') +
    (h.valAgreement !== undefined ? `, val agreement ${fmtPct(h.valAgreement)}` : '') + `, ${fmtNum(Math.round(h.samplesPerSec))} samples/s`);
  return [
    epochs.join('\n'),
    formatBeforeAfter(`${label} -> ${out}`, r.before, r.after, isTty),
    `${r.steps} steps${r.bestEpoch !== undefined ? `, best epoch ${r.bestEpoch + 1}` : ''}${r.stoppedEarly ? ', stopped early' : ''}` +
      (r.maskedZeros > 0 ? `; ${fmtNum(r.maskedZeros)} pruned weights held at zero` : ''),
  ].join('\n\n');
}
