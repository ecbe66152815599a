import { loadDataset, splitTrainVal, take, type Dataset } from '../data/index.js';
import type { Model } from '../ir/graph.js';
import { applyMasks, planPruning, pruneReport, type CriterionName, type Granularity, type PrunePlan, type PruneReport } from '../prune/index.js';
import {
  applyStructuredPlan, buildDependencyGraph, planByRatio, scoreGroups, type GroupCriterion, type StructuredPlan,
} from '../prune/structure/index.js';
import { modelStats } from '../metrics/index.js';
import { measureModel, type Measurement } from '../report/measure.js';
import { compareModels, type CompareResult } from '../runtime/index.js';
import { agpPrune, iterative } from '../prune/schedules/index.js';
import { createGradientSource, recalibrateBatchNorm, train, zeroMasks, type TrainOptions } from '../train/index.js';

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
  | { readonly kind: 'structured'; readonly criterion: GroupCriterion; readonly ratio?: number; readonly targetMacs?: number;
      readonly roundTo?: number; readonly protect?: RegExp };

/** Options of {@link runPrune}. */
export interface PruneJob {
  readonly mode: PruneMode;
  /** Default one-shot. Iterative and AGP need unstructured magnitude pruning and `finetuneEpochs` >= 1. */
  readonly schedule?: PruneSchedule;
  /** `mnist`, `fashion-mnist` or an .npz path: the test split scores before/after, the train split fine-tunes. */
  readonly data: string;
  /** Fine-tuning epochs after pruning (pruned weights stay zero); 0 for none. */
  readonly finetuneEpochs?: number;
  /**
   * Gradient-free repair before any fine-tuning: `bn` recomputes BatchNorm running statistics from calibration data
   * flowing through the pruned network (no labels, no gradients). Default none.
   */
  readonly recalibrate?: 'bn';
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
}

/**
 * Prunes a classifier and measures it before and after: unstructured masks from any criterion (magnitude, random,
 * wanda, ...) at a layer-wise or global sparsity, or structured removal of coupled channel groups at a ratio or a MAC
 * target; then optional fine-tuning with the pruned weights held at zero. Every output model is checked against the
 * original on test data (agreement, KL) before fine-tuning.
 *
 * @example
 * ```ts
 * const r = await runPrune(model, { data: 'mnist', mode: { kind: 'unstructured', criterion: 'magnitude', scope: 'global', sparsity: 0.9 }, finetuneEpochs: 1 });
 * console.log(r.report.compressionRatio, r.before.eval?.top1, r.after.eval?.top1);
 * ```
 */
export async function runPrune(model: Model, job: PruneJob): Promise<PruneResult> {
  const log = job.log ?? (() => undefined);
  const [trainSet, test] = [await loadDataset(job.data, 'train'), await loadDataset(job.data, 'test')];
  const measureOpts = { ...(job.testLimit !== undefined ? { limit: job.testLimit } : {}) };
  const calib = take(trainSet, job.calibration ?? 512);
  const schedule = job.schedule ?? { kind: 'oneshot' };
  if (schedule.kind !== 'oneshot') return scheduled(model, job, schedule, trainSet, test, log);
  // Plan and apply first: every problem with the options surfaces before the slower measurements run.
  const { pruned, plan } = job.mode.kind === 'unstructured'
    ? await pruneUnstructured(model, job.mode, calib, job.seed ?? 0, log)
    : await pruneStructured(model, job.mode, job.seed ?? 0, log);
  log('measuring the original model');
  const before = await measureModel(model, test, measureOpts);
  const agreement = await compareModels(model, pruned, test, { limit: Math.min(job.testLimit ?? 2000, 2000) });
  log(`pruned: top-1 agreement with the original ${(agreement.top1Agreement * 100).toFixed(2)}%, KL ${agreement.klDivergence.toPrecision(3)}`);
  const repaired = job.recalibrate === 'bn' ? await recalibrated(pruned, calib, log) : pruned;
  const tuned = (job.finetuneEpochs ?? 0) > 0 ? await finetune(repaired, trainSet, job, log) : repaired;
  log('measuring the pruned model');
  const after = await measureModel(tuned, test, measureOpts);
  return { model: tuned, before, after, agreement, report: await pruneReport(tuned), plan };
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

async function pruneStructured(model: Model, m: Extract<PruneMode, { kind: 'structured' }>, seed: number, log: (l: string) => void) {
  const dg = buildDependencyGraph(model);
  const scores = scoreGroups(dg, { criterion: m.criterion, seed });
  const opts = { ...(m.roundTo ? { roundTo: m.roundTo } : {}), ...(m.protect ? { protect: m.protect } : {}) };
  const ratio = m.ratio ?? await ratioForMacs(model, dg, scores, m.targetMacs ?? 0.5, opts);
  log(`removing ${(ratio * 100).toFixed(1)}% of the channels of ${dg.groups.filter((g) => !g.blocked).length} groups (${m.criterion})`);
  const plan = planByRatio(dg, scores, { ratio, ...opts });
  return { pruned: applyStructuredPlan(model, plan, { graph: dg }), plan: { structured: plan } };
}

/** The channel ratio whose plan keeps `keep` of the model's MACs (bisection on the applied plans' MAC counts). */
async function ratioForMacs(model: Model, dg: ReturnType<typeof buildDependencyGraph>, scores: ReturnType<typeof scoreGroups>,
  keep: number, opts: { roundTo?: number; protect?: RegExp }): Promise<number> {
  if (!(keep > 0 && keep <= 1)) throw new RangeError(`'targetMacs' must be in (0, 1], got ${keep}.`);
  const macsOf = async (m: Model): Promise<number> => (await modelStats(m, { shapes: 'static' })).macs;
  const dense = await macsOf(model);
  let [lo, hi] = [0, 0.99];
  for (let i = 0; i < 14; i++) {
    const mid = (lo + hi) / 2;
    const macs = await macsOf(applyStructuredPlan(model, planByRatio(dg, scores, { ratio: mid, ...opts }), { graph: dg }));
    if (macs / dense > keep) lo = mid;
    else hi = mid;
  }
  return hi;
}

async function recalibrated(model: Model, calib: Dataset, log: (l: string) => void): Promise<Model> {
  const r = await recalibrateBatchNorm(model, calib, { batches: 16, batchSize: 32 });
  log(`re-calibrated ${r.layers} BatchNorm layer(s) on ${r.samples} samples`);
  return r.model;
}

async function finetune(pruned: Model, trainSet: Dataset, job: PruneJob, log: (l: string) => void): Promise<Model> {
  const masks = zeroMasks(pruned);
  const { train: tr, val } = splitTrainVal(trainSet, { valFraction: 0.1, seed: job.seed ?? 0, stratified: true });
  log(`fine-tuning for ${job.finetuneEpochs} epoch(s) on ${tr.count} samples, pruned weights held at zero`);
  const r = await train(pruned, tr, { optimizer: 'adam', lr: 1e-4, ...job.finetune, epochs: job.finetuneEpochs ?? 1, masks, valSet: val });
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
