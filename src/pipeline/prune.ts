import { loadDataset, splitTrainVal, take, type Dataset } from '../data/index.js';
import type { Model } from '../ir/graph.js';
import { applyMasks, planPruning, pruneReport, type CriterionName, type Granularity, type PrunePlan, type PruneReport } from '../prune/index.js';
import {
  checkStructuredOptions, measureLatency, pruneStructured, reconstructConsumers, type GroupCriterion, type GroupKind, type GroupNormalization,
  type GroupReduction, type LatencyCheck, type LsqLayer, type StructuredOptions, type StructuredPlan, type StructuredResult,
} from '../prune/structure/index.js';
import { measureModel, type Measurement } from '../report/measure.js';
import { compareModels, type CompareResult } from '../runtime/index.js';
import { agpPrune, iterative } from '../prune/schedules/index.js';
import { createGradientSource, recalibrateBatchNorm, train, zeroMasks, type DistillOptions, type TrainOptions } from '../train/index.js';

/** Criteria that need gradients from calibration batches. */
const GRADIENT_CRITERIA: ReadonlySet<CriterionName> = new Set(['taylor', 'taylor-squared', 'fisher', 'snip', 'movement']);

/**
 * When pruning happens relative to fine-tuning: once then fine-tune (`oneshot`), in `rounds` prune/fine-tune rounds
 * reaching the sparsity geometrically (`iterative`, Han 2015), or gradually during one fine-tuning run along Zhu &
 * Gupta's cubic schedule with masks recomputed every `frequency` steps (`agp`). The last two use magnitude.
 */
export type PruneSchedule =
  | { readonly kind: 'oneshot' }
  | { readonly kind: 'iterative'; readonly rounds: number }
  | { readonly kind: 'agp'; readonly frequency: number };

/** Unstructured (weights zeroed in place) or structured (channels, neurons and heads physically removed). */
export type PruneMode =
  | { readonly kind: 'unstructured'; readonly criterion: CriterionName; readonly scope: 'layer' | 'global'; readonly sparsity: number;
      readonly granularity?: Granularity; readonly exclude?: readonly RegExp[]; readonly keepClassifier?: boolean; readonly keepFirst?: boolean }
  | { readonly kind: 'structured'; readonly criterion: GroupCriterion;
      /**
       * Exactly one of `ratio` (of every group's channels), `targetParams`, `targetMacs` and `targetLatency` (fractions
       * of the dense model's).
       */
      readonly ratio?: number; readonly targetParams?: number; readonly targetMacs?: number; readonly targetLatency?: number;
      /** Instead of a target: a plan made earlier (`loadPlan`), applied as it is. */
      readonly plan?: StructuredPlan;
      readonly roundTo?: number; readonly protect?: RegExp; readonly kinds?: readonly GroupKind[];
      /** `layer` (default): the same fraction of every group; `global`: one ranking of all channels. */
      readonly scope?: 'layer' | 'global';
      readonly reduction?: GroupReduction; readonly normalize?: GroupNormalization;
      /** Latency table: JSON cache file, onnxruntime threads and batch the target refers to (defaults: none, 1, 1). */
      readonly latency?: { readonly cache?: string; readonly threads?: number; readonly batch?: number } };

/**
 * Repair right after pruning, before any fine-tuning: `bn` re-computes BatchNorm running statistics from calibration
 * data (no labels, no gradients); `lsq` refits every consumer of a pruned group by least squares to reproduce the
 * original layer's outputs (structured only); `finetune` fine-tunes (`finetuneEpochs`, at least 1); `distill` fine-tunes
 * on α·T²·KL(teacher ‖ student) + (1−α)·CE with the original model (or `distill.teacher`) as the teacher. Extend the
 * union and the `switch` in {@link runPrune} together.
 */
export type RecoverMethod = 'none' | 'bn' | 'lsq' | 'finetune' | 'distill';

/** Every recovery method, in the order the CLI lists them. */
export const RECOVER_METHODS: readonly RecoverMethod[] = ['none', 'bn', 'lsq', 'finetune', 'distill'];

/** Options of {@link runPrune}. */
export interface PruneJob {
  readonly mode: PruneMode;
  /** Default one-shot. Iterative and AGP need unstructured magnitude pruning and `finetuneEpochs` >= 1. */
  readonly schedule?: PruneSchedule;
  /** `mnist`, `fashion-mnist` or an .npz path: the test split scores before/after, the train split fine-tunes. */
  readonly data: string;
  /** Fine-tuning epochs after pruning (pruned weights stay zero); 0 for none. */
  readonly finetuneEpochs?: number;
  /** Repair after pruning; default 'none' (or 'finetune' when `finetuneEpochs` >= 1 asks for it). */
  readonly recover?: RecoverMethod;
  /** The same as `recover: 'bn'` (the older spelling). */
  readonly recalibrate?: 'bn';
  /** `recover: 'distill'`: teacher (default: the model being pruned), α and temperature (the trainer's defaults). */
  readonly distill?: Partial<DistillOptions>;
  /** Training samples the least-squares refit (`recover: 'lsq'`) uses; default 1024. */
  readonly lsqSamples?: number;
  readonly finetune?: Omit<TrainOptions, 'epochs' | 'masks' | 'valSet'>;
  /** Calibration samples (from the train split) for data-aware criteria (wanda); default 512. */
  readonly calibration?: number;
  readonly testLimit?: number;
  readonly seed?: number;
  readonly log?: ((line: string) => void) | undefined;
}

/** What a prune job did and measured. */
export interface PruneResult {
  readonly model: Model;
  readonly before: Measurement;
  readonly after: Measurement;
  /** After pruning, before fine-tuning: outputs compared with the original on test samples. */
  readonly agreement: CompareResult;
  readonly report: PruneReport;
  readonly plan: { readonly unstructured?: PrunePlan; readonly structured?: StructuredPlan };
  /** Structured pruning: the channel ratio, MACs, the latency the planner predicted and the one measured, the lsq report. */
  readonly structured?: StructuredDetails;
}

/** What a structured prune planned, predicted and measured. */
export interface StructuredDetails {
  readonly ratio: number;
  readonly macs: { readonly dense: number; readonly pruned: number };
  /** With `targetLatency`: the planner's prediction and the whole pruned model measured against the dense one. */
  readonly latency?: { readonly target: number; readonly predictedFraction: number; readonly predictedMs: number; readonly cached: boolean; readonly measured: LatencyCheck };
  /** With `recover: 'lsq'`: one entry per consumer of a pruned group. */
  readonly lsq?: readonly LsqLayer[];
}

/**
 * Prunes a classifier and measures it before and after: unstructured masks from any criterion (magnitude, random,
 * wanda, ...) at a layer-wise or global sparsity, or structured removal of coupled channel groups (weight, gradient or
 * activation scores) at a ratio, a MAC target or a measured-latency target (the whole pruned model timed against the
 * original afterwards); then the repair (`recover`: BatchNorm statistics, least squares) and optional fine-tuning with
 * the pruned weights held at zero. Every output model is checked against the original on test data (agreement, KL)
 * before repair. Options are checked before any data is loaded.
 *
 * @example
 * ```ts
 * const r = await runPrune(model, { data: 'mnist', mode: { kind: 'unstructured', criterion: 'magnitude', scope: 'global', sparsity: 0.9 }, finetuneEpochs: 1 });
 * console.log(r.report.compressionRatio, r.before.eval?.top1, r.after.eval?.top1);
 * const s = await runPrune(model, { data: 'mnist', recover: 'lsq', mode: { kind: 'structured', criterion: 'taylor', targetLatency: 0.5, roundTo: 8 } });
 * console.log(s.structured?.latency?.predictedFraction, s.structured?.latency?.measured.fraction);
 * ```
 */
export async function runPrune(model: Model, job: PruneJob): Promise<PruneResult> {
  const log = job.log ?? (() => undefined);
  const recover = recoverOf(job);
  const schedule = job.schedule ?? { kind: 'oneshot' };
  checkJob(job, recover, schedule);
  const [trainSet, test] = [await loadDataset(job.data, 'train'), await loadDataset(job.data, 'test')];
  const measureOpts = { ...(job.testLimit !== undefined ? { limit: job.testLimit } : {}) };
  const calib = take(trainSet, job.calibration ?? 512);
  if (schedule.kind !== 'oneshot') return scheduled(model, job, schedule, trainSet, test, log);
  // Plan and apply first: every problem with the options surfaces before the slower measurements run.
  const structured = job.mode.kind === 'structured' ? await pruneStructured(model, structuredOptions(job.mode, calib, job.seed ?? 0, log)) : undefined;
  const { pruned, plan } = structured
    ? { pruned: structured.model, plan: { structured: structured.plan } }
    : await pruneUnstructured(model, job.mode as Extract<PruneMode, { kind: 'unstructured' }>, calib, job.seed ?? 0, log);
  const latency = structured?.latency && await verifyLatency(model, pruned, structured, log);
  log('measuring the original model');
  const before = await measureModel(model, test, measureOpts);
  const agreement = await compareModels(model, pruned, test, { limit: Math.min(job.testLimit ?? 2000, 2000) });
  log(`pruned: top-1 agreement with the original ${(agreement.top1Agreement * 100).toFixed(2)}%, KL ${agreement.klDivergence.toPrecision(3)}`);
  let repaired = pruned;
  let lsq: readonly LsqLayer[] | undefined;
  switch (recover) {
    case 'none': case 'finetune': case 'distill': break;
    case 'bn': repaired = await recalibrated(pruned, calib, log); break;
    case 'lsq': {
      const r = await reconstructConsumers(model, pruned, structured!.graph, structured!.plan, take(trainSet, job.lsqSamples ?? 1024), { samples: job.lsqSamples ?? 1024, log });
      [repaired, lsq] = [r.model, r.layers];
      break;
    }
  }
  const epochs = recover === 'finetune' || recover === 'distill' ? Math.max(1, job.finetuneEpochs ?? 1) : job.finetuneEpochs ?? 0;
  const distill = recover === 'distill' ? { ...job.distill, teacher: job.distill?.teacher ?? model } : undefined;
  const tuned = epochs > 0 ? await finetune(repaired, trainSet, { ...job, finetuneEpochs: epochs }, log, distill) : repaired;
  log('measuring the pruned model');
  const after = await measureModel(tuned, test, measureOpts);
  const details: StructuredDetails | undefined = structured && {
    ratio: structured.ratio, macs: structured.macs, ...(latency ? { latency } : {}), ...(lsq ? { lsq } : {}),
  };
  return { model: tuned, before, after, agreement, report: await pruneReport(tuned), plan, ...(details ? { structured: details } : {}) };
}

function recoverOf(job: PruneJob): RecoverMethod {
  if (job.recover !== undefined && job.recalibrate !== undefined && job.recover !== job.recalibrate) {
    throw new RangeError(`'recalibrate: bn' and 'recover: ${job.recover}' disagree; give only 'recover'.`);
  }
  return job.recover ?? (job.recalibrate === 'bn' ? 'bn' : 'none');
}

/** Every check that needs no data: all problems of the job before any dataset is loaded. */
function checkJob(job: PruneJob, recover: RecoverMethod, schedule: PruneSchedule): void {
  if (!RECOVER_METHODS.includes(recover)) throw new RangeError(`'recover' must be one of ${RECOVER_METHODS.join(', ')}, got '${String(recover)}'.`);
  if (recover === 'lsq' && job.mode.kind !== 'structured') throw new RangeError(`'recover: lsq' refits the consumers of removed channels; it needs structured pruning ('--structured').`);
  if (recover === 'lsq' && schedule.kind !== 'oneshot') throw new RangeError(`'recover: lsq' needs the oneshot schedule, got '${schedule.kind}'.`);
  if (job.lsqSamples !== undefined && !(Number.isSafeInteger(job.lsqSamples) && job.lsqSamples >= 1)) throw new RangeError(`'lsqSamples' must be an integer >= 1, got ${job.lsqSamples}.`);
  if (job.mode.kind === 'structured') {
    const m = job.mode;
    const given = [m.ratio, m.targetParams, m.targetMacs, m.targetLatency, m.plan].filter((x) => x !== undefined).length;
    if (given !== 1) throw new RangeError(`structured pruning needs exactly one of 'ratio', 'targetParams', 'targetMacs', 'targetLatency' or 'plan', got ${given}.`);
    checkStructuredOptions(structuredOptions(m, undefined, job.seed ?? 0, () => undefined), true);   // the calibration data comes from job.data
    if (schedule.kind !== 'oneshot') throw new RangeError(`the '${schedule.kind}' schedule prunes by unstructured magnitude; structured pruning is oneshot.`);
  }
}

function structuredOptions(m: Extract<PruneMode, { kind: 'structured' }>, calib: Dataset | undefined, seed: number, log: (l: string) => void): StructuredOptions {
  const target: StructuredOptions['target'] = m.plan !== undefined ? { kind: 'plan', plan: m.plan }
    : m.ratio !== undefined ? { kind: 'ratio', ratio: m.ratio }
    : m.targetLatency !== undefined ? { kind: 'latency', keep: m.targetLatency, table: { ...m.latency, runs: 20 } }
    : m.targetParams !== undefined ? { kind: 'params', keep: m.targetParams }
    : { kind: 'macs', keep: m.targetMacs ?? 0.5 };
  return {
    criterion: m.criterion, target, seed, log, ...(calib ? { data: calib } : {}),
    ...(m.roundTo !== undefined ? { roundTo: m.roundTo } : {}), ...(m.protect ? { protect: m.protect } : {}), ...(m.kinds ? { kinds: m.kinds } : {}),
    ...(m.scope ? { scope: m.scope } : {}),
    ...(m.reduction ? { reduction: m.reduction } : {}), ...(m.normalize ? { normalize: m.normalize } : {}),
  };
}

/** The whole pruned model timed against the dense one (alternating rounds), beside the planner's prediction. */
async function verifyLatency(model: Model, pruned: Model, r: StructuredResult, log: (l: string) => void): Promise<StructuredDetails['latency']> {
  const l = r.latency!;
  const measured = await measureLatency(model, pruned, { threads: l.table.key.threads, batch: l.table.key.batch, runs: 100 });
  log(`latency: target ${l.target}, predicted ${l.predictedFraction.toFixed(3)}, measured ${measured.fraction.toFixed(3)} (${measured.prunedMs.toFixed(3)} / ${measured.denseMs.toFixed(3)} ms)`);
  return { target: l.target, predictedFraction: l.predictedFraction, predictedMs: l.predictedMs, cached: l.cached, measured };
}

async function pruneUnstructured(model: Model, m: Extract<PruneMode, { kind: 'unstructured' }>, calib: Dataset, seed: number, log: (l: string) => void) {
  log(`scoring by ${m.criterion}, ${m.granularity?.kind === 'nm' ? `${m.granularity.n}:${m.granularity.m} pattern` : `${m.scope} sparsity ${m.sparsity}`}`);
  const gradients = GRADIENT_CRITERIA.has(m.criterion) ? { gradients: createGradientSource(model, calib, { seed }), gradientBatches: 8 } : {};
  const plan = await planPruning(model, {
    criterion: m.criterion, seed, dataset: calib, ...gradients,
    // N:M fixes each layer's sparsity at (M-N)/M, so it takes no scope.
    ...(m.granularity?.kind === 'nm' ? {} : { scope: m.scope === 'global' ? { kind: 'global', sparsity: m.sparsity } : { kind: 'layer', sparsity: m.sparsity } }),
    ...(m.granularity ? { granularity: m.granularity } : {}),
    ...(m.exclude && m.exclude.length > 0 ? { exclude: m.exclude } : {}),
    ...(m.keepClassifier ? { keepClassifier: true } : {}), ...(m.keepFirst ? { keepFirst: true } : {}),
  });
  return { pruned: applyMasks(model, plan), plan: { unstructured: plan } };
}

async function recalibrated(model: Model, calib: Dataset, log: (l: string) => void): Promise<Model> {
  const r = await recalibrateBatchNorm(model, calib, { batches: 16, batchSize: 32 });
  log(`re-calibrated ${r.layers} BatchNorm layer(s) on ${r.samples} samples`);
  return r.model;
}

async function finetune(pruned: Model, trainSet: Dataset, job: PruneJob, log: (l: string) => void, distill?: DistillOptions): Promise<Model> {
  const masks = zeroMasks(pruned);
  const { train: tr, val } = splitTrainVal(trainSet, { valFraction: 0.1, seed: job.seed ?? 0, stratified: true });
  log(`${distill ? 'distilling from the teacher' : 'fine-tuning'} for ${job.finetuneEpochs} epoch(s) on ${tr.count} samples, pruned weights held at zero`);
  const r = await train(pruned, tr, { optimizer: 'adam', lr: 1e-4, ...job.finetune, epochs: job.finetuneEpochs ?? 1, masks, valSet: val, ...(distill ? { distill } : {}) });
  return r.model;
}

/** Iterative or AGP pruning: pruning and fine-tuning interleaved (magnitude, unstructured). */
async function scheduled(model: Model, job: PruneJob, schedule: Exclude<PruneSchedule, { kind: 'oneshot' }>, trainSet: Dataset,
  test: Dataset, log: (l: string) => void): Promise<PruneResult> {
  const m = job.mode;
  const epochs = job.finetuneEpochs ?? 0;
  if (m.kind !== 'unstructured' || m.criterion !== 'magnitude') throw new RangeError(`the '${schedule.kind}' schedule prunes by unstructured magnitude; use the oneshot schedule for other criteria.`);
  if (epochs < 1) throw new RangeError(`the '${schedule.kind}' schedule needs 'finetuneEpochs' >= 1, got ${epochs}.`);
  if (m.granularity && m.granularity.kind !== 'element') throw new RangeError(`the '${schedule.kind}' schedule prunes single weights; '--pattern' and '--block' need the oneshot schedule.`);
  const trainOpts = { optimizer: 'adam' as const, lr: 1e-4, ...job.finetune };
  const select = { ...(m.exclude && m.exclude.length > 0 ? { exclude: m.exclude } : {}), ...(m.keepClassifier ? { keepClassifier: true } : {}) };
  log(schedule.kind === 'iterative' ? `iterative: ${schedule.rounds} rounds to sparsity ${m.sparsity}, ${epochs} epoch(s) each`
    : `AGP: sparsity 0 -> ${m.sparsity} over ${epochs} epoch(s), masks updated every ${schedule.frequency} steps`);
  const r = schedule.kind === 'iterative'
    ? await iterative(model, trainSet, { rounds: schedule.rounds, sparsity: m.sparsity, finetuneEpochs: epochs, train: trainOpts, ...select })
    : await agpPrune(model, trainSet, { final: m.sparsity, frequency: schedule.frequency, epochs, seed: job.seed ?? 0, train: trainOpts, ...select });
  const agreement = await compareModels(model, r.model, test, { limit: Math.min(job.testLimit ?? 2000, 2000) });
  const measureOpts = { ...(job.testLimit !== undefined ? { limit: job.testLimit } : {}) };
  log('measuring the original and the pruned model');
  const [before, after] = [await measureModel(model, test, measureOpts), await measureModel(r.model, test, measureOpts)];
  return { model: r.model, before, after, agreement, report: await pruneReport(r.model), plan: { unstructured: r.plan } };
}
