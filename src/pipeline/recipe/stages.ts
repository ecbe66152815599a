/**
 * What each recipe stage does to the model: library calls only (the same ones the CLI commands make), one function
 * per stage kind behind one exhaustive switch.
 */
import { join } from 'node:path';
import type { Dataset } from '../../data/index.js';
import { take } from '../../data/index.js';
import type { Model } from '../../ir/graph.js';
import { allocateSparsity, analyzeSensitivity, applyMasks, planPruning, type Granularity, type SensitivityResult } from '../../prune/index.js';
import { agpPrune } from '../../prune/schedules/index.js';
import { pruneStructured, reconstructConsumers, type StructuredTarget } from '../../prune/structure/index.js';
import { quantizeModel } from '../../quantize/index.js';
import { exportModel, writeExport } from '../../export/index.js';
import { blockedGroups } from '../../report/run-stage.js';
import type { BlockedGroup } from '../../report/run-record.js';
import { createGradientSource, DEFAULT_ALPHA, DEFAULT_TEMPERATURE, recalibrateBatchNorm, train, zeroMasks, type StepReport, type TrainOptions } from '../../train/index.js';
import type { DistillStage, ExportStage, FinetuneStage, PruneStage, QuantizeStage, Stage, StructuredStage, TrainSettings } from './schema.js';

/** What a stage works with. */
export interface StageContext {
  /** The recipe's input model (the default teacher, the reference every stage is compared with). */
  readonly original: Model;
  /** Training samples (calibration hold-out removed), calibration hold-out, test samples. */
  readonly trainSet: Dataset;
  readonly calib: Dataset;
  /** Folder for this stage's own files (checkpoints, caches). */
  readonly workDir: string;
  readonly seed: number;
  readonly resolvePath: (p: string) => string;
  readonly progress: boolean;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
  /** Called after every optimizer step of a training stage. */
  readonly onStep?: ((report: StepReport) => void) | undefined;
}

/** What a stage hands back. */
export interface StageOutput {
  readonly model: Model;
  readonly notes: readonly string[];
  readonly blocked?: readonly BlockedGroup[];
  readonly sensitivity?: { readonly result: SensitivityResult; readonly allocation: Readonly<Record<string, number>> };
  /** Writes the stage's file when it is not the model saved as it is (an export's exact bytes). */
  readonly write?: (file: string) => Promise<void>;
  /** The written file's raw and gzip sizes, when `write` decides them. */
  readonly size?: { readonly raw: number; readonly gzip: number };
}

/** A short name for a stage in tables and the run record, e.g. `prune global 90%`. */
export function stageLabel(s: Stage): string {
  const pct = (v: number): string => `${+(v * 100).toFixed(1)}%`;
  switch (s.kind) {
    case 'prune': return `prune ${s.granularity && s.granularity !== 'element' ? `${s.granularity} ` : ''}${s.scope ?? 'global'}${s.sparsity !== undefined ? ` ${pct(s.sparsity)}` : ''}${s.schedule === 'agp' ? ' agp' : ''}`;
    case 'structured': return `structured ${s.ratio !== undefined ? `${pct(s.ratio)} channels` : s.targetParams !== undefined ? `params ${pct(s.targetParams)}` : s.targetMacs !== undefined ? `MACs ${pct(s.targetMacs)}` : `latency ${pct(s.targetLatency ?? 0)}`}${s.lsq ? ' + lsq' : ''}`;
    case 'finetune': return `finetune ${s.epochs} epoch${s.epochs > 1 ? 's' : ''}`;
    case 'distill': return `distill ${s.epochs} epoch${s.epochs > 1 ? 's' : ''}`;
    case 'recalibrate': return 'recalibrate BN';
    case 'quantize': return `quantize ${s.mode ?? 'static'}`;
    case 'export': return `export ${s.format ?? 'auto'}`;
  }
}

/** Runs one stage on `model`. */
export async function runStage(stage: Stage, model: Model, ctx: StageContext): Promise<StageOutput> {
  switch (stage.kind) {
    case 'prune': return stage.schedule === 'agp' ? pruneAgp(stage, model, ctx) : pruneOneShot(stage, model, ctx);
    case 'structured': return structured(stage, model, ctx);
    case 'finetune': return finetune(stage, model, ctx);
    case 'recalibrate': return recalibrate(model, ctx, stage.samples);
    case 'quantize': return quantize(stage, model, ctx);
    case 'export': return exportStage(stage, model, ctx);
    case 'distill': return distill(stage, model, ctx);
  }
}

/** `element`, `N:M` or `block:RxC`. */
export function parseGranularity(g: string | undefined): Granularity {
  if (g === undefined || g === 'element') return { kind: 'element' };
  const nm = /^(\d+):(\d+)$/.exec(g);
  if (nm) return { kind: 'nm', n: Number(nm[1]), m: Number(nm[2]) };
  const block = /^block:(\d+)x(\d+)$/.exec(g);
  if (block) return { kind: 'block', rows: Number(block[1]), cols: Number(block[2]) };
  throw new RangeError(`granularity '${g}' is not element, N:M or block:RxC.`);
}

const selection = (s: PruneStage) => ({
  ...(s.exclude && s.exclude.length > 0 ? { exclude: s.exclude.map((e) => new RegExp(e)) } : {}),
  ...(s.keepClassifier ? { keepClassifier: true } : {}), ...(s.keepFirst ? { keepFirst: true } : {}),
});

async function pruneOneShot(s: PruneStage, model: Model, ctx: StageContext): Promise<StageOutput> {
  const granularity = parseGranularity(s.granularity);
  const criterion = s.criterion ?? 'magnitude';
  const gradientBased = ['taylor', 'taylor-squared', 'fisher', 'snip'].includes(criterion);
  let sensitivity: StageOutput['sensitivity'];
  let scope: NonNullable<Parameters<typeof planPruning>[1]['scope']> | undefined;
  if (granularity.kind !== 'nm') {
    const sparsity = s.sparsity!;
    if ((s.scope ?? 'global') === 'sensitivity') {
      ctx.log(`sensitivity analysis on ${ctx.calib.count} held-out training samples`);
      const result = await analyzeSensitivity(model, ctx.calib, {
        levels: s.levels ?? [0, 0.5, 0.7, 0.8, 0.9, 0.95], metric: 'labels', progress: ctx.progress, cacheDir: join(ctx.workDir, 'sensitivity-cache'), ...selection(s),
      });
      const allocation = allocateSparsity(result, { kind: 'sparsity', value: sparsity }).sparsities;
      sensitivity = { result, allocation };
      scope = { kind: 'explicit', sparsities: allocation };
    } else {
      scope = s.scope === 'layer' ? { kind: 'layer', sparsity } : { kind: 'global', sparsity };
    }
  }
  ctx.log(`pruning by ${criterion}`);
  const plan = await planPruning(model, {
    criterion, seed: ctx.seed, dataset: ctx.calib, granularity, ...(scope ? { scope } : {}), ...(scope?.kind === 'explicit' ? {} : selection(s)),
    ...(gradientBased ? { gradients: createGradientSource(model, ctx.calib, { seed: ctx.seed }), gradientBatches: 8 } : {}),
  });
  const pruned = applyMasks(model, plan);
  const notes = [`${criterion} criterion, ${granularity.kind === 'nm' ? `${granularity.n}:${granularity.m} pattern` : `${scope?.kind} scope`}`];
  if (sensitivity) notes.push(`allocated: ${Object.entries(sensitivity.allocation).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(', ')}`);
  return { model: pruned, notes, ...(sensitivity ? { sensitivity } : {}) };
}

async function pruneAgp(s: PruneStage, model: Model, ctx: StageContext): Promise<StageOutput> {
  const t = s.train!;
  const data = t.limit !== undefined ? take(ctx.trainSet, t.limit) : ctx.trainSet;
  ctx.log(`AGP magnitude pruning to ${s.sparsity} over ${t.epochs} epoch(s)`);
  const r = await agpPrune(model, data, {
    final: s.sparsity!, frequency: s.frequency ?? 100, epochs: t.epochs, seed: ctx.seed, batchSize: t.batchSize ?? 64, ...selection(s),
    train: { ...trainOptions(t, ctx), progress: ctx.progress },
  });
  return { model: r.model, notes: [`AGP: ${r.trajectory.length} mask updates over ${r.steps} steps, every ${s.frequency ?? 100}`] };
}

async function structured(s: StructuredStage, model: Model, ctx: StageContext): Promise<StageOutput> {
  const criterion = s.criterion ?? 'l2';
  const target: StructuredTarget = s.ratio !== undefined ? { kind: 'ratio', ratio: s.ratio }
    : s.targetParams !== undefined ? { kind: 'params', keep: s.targetParams }
    : s.targetMacs !== undefined ? { kind: 'macs', keep: s.targetMacs }
    : { kind: 'latency', keep: s.targetLatency!, table: { cache: join(ctx.workDir, 'latency-table.json'), ...(s.roundTo ? { roundTo: s.roundTo } : {}) } };
  const r = await pruneStructured(model, {
    criterion, target, seed: ctx.seed, data: ctx.calib, log: ctx.log,
    ...(s.groups ? { kinds: s.groups } : {}), ...(s.roundTo ? { roundTo: s.roundTo } : {}), ...(s.protect ? { protect: new RegExp(s.protect) } : {}),
    ...(s.scope ? { scope: s.scope } : {}), ...(s.normalize ? { normalize: s.normalize } : {}),
  });
  const blocked = blockedGroups(r.graph);
  const notes = [
    `${criterion} group scores, ${(100 * r.ratio).toFixed(1)}% of the channels of the prunable groups, MACs ${(100 * r.macs.pruned / r.macs.dense).toFixed(1)}% of dense`,
    `${blocked.length} group(s) blocked`,
  ];
  if (r.latency) notes.push(`predicted latency ${(100 * r.latency.predictedFraction).toFixed(1)}% of dense (${r.latency.cached ? 'cached' : 'measured'} per-layer table)`);
  if (!s.lsq) return { model: r.model, notes, blocked };
  ctx.log('least-squares refit of the layers that read removed channels');
  const fit = await reconstructConsumers(model, r.model, r.graph, r.plan, ctx.calib, { log: ctx.log });
  const solved = fit.layers.filter((l) => l.status === 'solved');
  notes.push(`least squares: ${solved.length} layer(s) refit${solved.length > 0 ? ` (output error ${mean(solved.map((l) => l.errorBefore ?? 0)).toPrecision(3)} -> ${mean(solved.map((l) => l.errorAfter ?? 0)).toPrecision(3)})` : ''}`,
    ...fit.layers.filter((l) => l.status === 'skipped').map((l) => `least squares skipped ${l.node} (${l.opType}): ${l.reason ?? ''}`));
  return { model: fit.model, notes, blocked };
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);

async function quantize(s: QuantizeStage, model: Model, ctx: StageContext): Promise<StageOutput> {
  const mode = s.mode ?? 'static';
  ctx.log(`quantizing (${mode})`);
  const r = await quantizeModel(model, {
    mode, ...(s.bits !== undefined ? { bits: s.bits } : {}), ...(s.perChannel !== undefined ? { perChannel: s.perChannel } : {}),
    ...(s.exclude && s.exclude.length > 0 ? { exclude: { patterns: s.exclude.map((e) => new RegExp(e)) } } : {}),
    ...(mode === 'static' ? { calibration: { data: ctx.calib, method: s.calibrate ?? 'minmax' } } : {}),
  });
  const schemes = [...new Set(r.layers.map((l) => l.scheme))];
  return {
    model: r.model,
    notes: [`${r.layers.length} layer(s) quantized: ${schemes.join('; ')}`, ...r.skipped.map((l) => `left in float: ${l.node} (${l.opType}): ${l.reason}`)],
  };
}

async function exportStage(s: ExportStage, model: Model, ctx: StageContext): Promise<StageOutput> {
  ctx.log(`encoding the final model (${s.format ?? 'auto'})`);
  const r = await exportModel(model, { format: s.format ?? 'auto', ...(s.bits !== undefined ? { bits: s.bits } : {}) });
  const tried = r.candidates.map((c) => `${c.format} ${c.skipped ? `(${c.skipped})` : `${(c.gzip / 1024).toFixed(1)} KiB gzip`}`).join(', ');
  return {
    model: r.unpacked,
    write: (file) => writeExport(r, file),
    size: { raw: r.raw, gzip: r.gzip },
    notes: [`written as ${r.format}: ${(r.raw / 1024).toFixed(1)} KiB, ${(r.gzip / 1024).toFixed(1)} KiB gzip; tried ${tried}`],
  };
}

/** Trainer options of a stage's settings; pruned weights stay zero, checkpoints let an interrupted stage resume. */
export function trainOptions(t: TrainSettings, ctx: StageContext): Omit<TrainOptions, 'epochs' | 'masks'> {
  return {
    optimizer: t.optimizer ?? 'adam', lr: t.lr ?? 2e-4, schedule: t.schedule ?? 'constant', batchSize: t.batchSize ?? 64, seed: ctx.seed,
    ...(t.shift ? { shift: t.shift } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.onStep ? { onStep: ctx.onStep } : {}),
  };
}

async function finetune(s: FinetuneStage, model: Model, ctx: StageContext): Promise<StageOutput> {
  const data = s.limit !== undefined ? take(ctx.trainSet, s.limit) : ctx.trainSet;
  ctx.log(`fine-tuning ${s.epochs} epoch(s) on ${data.count} samples, pruned weights held at zero`);
  const r = await train(model, data, {
    ...trainOptions(s, ctx), epochs: s.epochs, masks: zeroMasks(model), progress: ctx.progress,
    checkpointDir: join(ctx.workDir, 'checkpoint'), ...(await resumable(join(ctx.workDir, 'checkpoint'))),
  });
  const last = r.history[r.history.length - 1];
  return { model: r.model, notes: [`${r.steps} steps${last ? `, last epoch loss ${last.trainLoss.toFixed(4)}` : ''}`] };
}

async function distill(s: DistillStage, model: Model, ctx: StageContext): Promise<StageOutput> {
  const data = s.limit !== undefined ? take(ctx.trainSet, s.limit) : ctx.trainSet;
  const teacher = s.teacher === undefined || s.teacher === 'original' ? ctx.original : ctx.resolvePath(s.teacher);
  const alpha = s.alpha ?? DEFAULT_ALPHA;
  const temperature = s.temperature ?? DEFAULT_TEMPERATURE;
  ctx.log(`distilling ${s.epochs} epoch(s) on ${data.count} samples from ${typeof teacher === 'string' ? teacher : 'the original model'} (alpha ${alpha}, T ${temperature})`);
  const r = await train(model, data, {
    ...trainOptions(s, ctx), epochs: s.epochs, masks: zeroMasks(model), progress: ctx.progress,
    distill: { teacher, alpha, temperature, ...(s.features && s.features.length > 0 ? { features: s.features } : {}) },
    checkpointDir: join(ctx.workDir, 'checkpoint'), ...(await resumable(join(ctx.workDir, 'checkpoint'))),
  });
  const matched = s.features?.map((f) => `${f.student} ~ ${f.teacher}`).join(', ');
  return { model: r.model, notes: [`${r.steps} steps, alpha ${alpha}, temperature ${temperature}${matched ? `, features matched: ${matched}` : ''}`] };
}

async function recalibrate(model: Model, ctx: StageContext, samples: number | undefined): Promise<StageOutput> {
  const data = samples !== undefined ? take(ctx.calib, samples) : ctx.calib;
  ctx.log(`recalibrating BatchNorm statistics on ${data.count} samples`);
  const r = await recalibrateBatchNorm(model, data);
  return { model: r.model, notes: [`${r.layers} BatchNorm layer(s) recalibrated on ${data.count} samples`] };
}

/** `{ resume }` when a stage's checkpoint folder holds a checkpoint from an interrupted attempt. */
async function resumable(dir: string): Promise<{ resume?: string }> {
  const { access } = await import('node:fs/promises');
  return access(join(dir, 'checkpoint.npz')).then(() => ({ resume: dir }), () => ({}));
}
