/**
 * Choosing the tolerated per-layer drop τ of the threshold rule by k-fold cross-validation.
 *
 * The question answered: "which τ gives the sparsest model whose real accuracy drop stays within `maxDrop`?" The
 * per-layer curves only predict that drop (they assume layers do not interact, and they are measured on a finite
 * sample), so τ is scored on data that did not shape the allocation:
 *
 * 1. The evaluation set is shuffled (seeded) and cut into k folds of near-equal size (`data.subset`).
 * 2. A sensitivity sweep is run on each fold alone (k sweeps on 1/k of the data cost one full sweep; each is cached).
 * 3. For held-out fold f, the curves of the other k−1 folds are merged (sample-weighted means, exactly the curves
 *    of their union) and, for each candidate τ, the threshold rule allocates per-layer sparsities from them.
 * 4. The model is pruned with that allocation — all layers together, same scores and criterion — and measured on
 *    fold f against the dense model on fold f: the held-out drop includes the layer interactions the curves ignore.
 * 5. τ is chosen to maximise the mean held-out sparsity among the τ whose mean held-out drop ≤ `maxDrop`
 *    (ties to the smaller τ). The returned `sparsities` re-apply the chosen τ to the curves of all folds.
 *
 * Caveats, stated rather than hidden: τ was selected using every fold, so the final model's accuracy must still be
 * confirmed on a separate test set; the importance scores (e.g. wanda's norms) come from the whole dataset.
 */
import { compareModels, evaluate, type EvaluateResult } from '../runtime/index.js';
import { subset, type Dataset } from '../data/index.js';
import type { Model } from '../ir/graph.js';
import { Rng } from '../util/rng.js';
import { dropAt, sensitivityCurves, thresholdSparsities, type AllocationMetric } from './allocate.js';
import { scoreProblems, scoreTargets } from './criteria/score.js';
import { applyMasks } from './masks/apply.js';
import { computeMasks } from './masks/compute.js';
import { selectTargets } from './selectors.js';
import { analyzeSensitivity, type SensitivityOptions, type SensitivityResult, type SensitivityRow } from './sensitivity.js';
import { findTargets } from './targets.js';
import { checkInt, datasetProblems, failOn } from './validate.js';

/** Options of {@link crossValidateThreshold}. */
export interface CrossValidateOptions extends Omit<SensitivityOptions, 'limit'> {
  /** The largest acceptable mean held-out drop of the jointly pruned model (in `objective` units). */
  readonly maxDrop: number;
  /** Metric the drops are measured in; default `top1`. */
  readonly objective?: AllocationMetric;
  /** Number of folds; default 5. */
  readonly k?: number;
  /** Candidate τ values; default [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]. */
  readonly thresholds?: readonly number[];
  /** Seed of the fold shuffle; default 0. */
  readonly foldSeed?: number;
}

/** One τ on one held-out fold. */
export interface FoldScore {
  readonly threshold: number;
  /** Fraction of the selected layers' weights pruned by the allocation. */
  readonly sparsity: number;
  /** Σ of single-layer drops predicted by the k−1 training folds' curves. */
  readonly predictedDrop: number;
  /** Drop measured on the held-out fold with every layer pruned together. */
  readonly heldOutDrop: number;
}

/** Aggregate of one τ over the folds. */
export interface ThresholdSummary {
  readonly threshold: number;
  readonly meanDrop: number;
  readonly stdDrop: number;
  readonly meanSparsity: number;
}

/** The outcome of the cross-validation. */
export interface CrossValidation {
  /** The chosen τ, or undefined when no τ meets `maxDrop`. */
  readonly chosen: number | undefined;
  readonly objective: AllocationMetric;
  readonly maxDrop: number;
  readonly k: number;
  readonly folds: readonly { readonly fold: number; readonly count: number; readonly scores: readonly FoldScore[] }[];
  readonly summary: readonly ThresholdSummary[];
  /** The chosen τ applied to the curves of all folds (undefined when nothing was chosen). */
  readonly sparsities: Readonly<Record<string, number>> | undefined;
}

const DEFAULT_THRESHOLDS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];

/**
 * Seeded k-fold split: a shuffled permutation cut into k folds whose sizes differ by at most one.
 *
 * @example
 * ```ts
 * kFolds(ds, 5, 0).map((f) => f.count);   // [100, 100, 100, 100, 100] for 500 samples
 * ```
 */
export function kFolds(ds: Dataset, k: number, seed: number): Dataset[] {
  checkInt(k, 'k', 2, ds.count);
  const perm = Int32Array.from({ length: ds.count }, (_, i) => i);
  new Rng(seed).shuffle(perm);
  return Array.from({ length: k }, (_, f) => {
    const idx = perm.slice(Math.floor((f * ds.count) / k), Math.floor(((f + 1) * ds.count) / k)).sort();
    return subset(ds, idx, `fold${f}`);
  });
}

/**
 * Sample-weighted mean of several sweeps' rows, cell by cell: the rows a sweep over the union would give.
 *
 * @example
 * ```ts
 * const train = mergeSweeps(sweeps.filter((_, i) => i !== heldOut));
 * ```
 */
export function mergeSweeps(sweeps: readonly SensitivityResult[]): SensitivityRow[] {
  const total = sweeps.reduce((a, s) => a + s.dataset.count, 0);
  const first = sweeps[0]!.rows;
  return first.map((row, i) => {
    const mean = (key: 'top1' | 'top5' | 'loss' | 'kl'): number | null =>
      row[key] === null ? null : sweeps.reduce((a, s) => a + (s.rows[i]![key] ?? 0) * s.dataset.count, 0) / total;
    return { ...row, top1: mean('top1'), top5: mean('top5'), loss: mean('loss'), kl: mean('kl') };
  });
}

/** Measures drops on one fold against the dense model, evaluating the dense model once. */
function dropMeter(model: Model, fold: Dataset, objective: AllocationMetric, batchSize: number): (pruned: Model) => Promise<number> {
  let dense: Promise<EvaluateResult> | undefined;
  return async (pruned) => {
    if (objective === 'kl') return (await compareModels(model, pruned, fold, { batchSize })).klDivergence;
    dense ??= evaluate(model, fold, { batchSize });
    const [d, p] = [await dense, await evaluate(pruned, fold, { batchSize })];
    return objective === 'loss' ? p.loss - d.loss : d[objective] - p[objective];
  };
}

/**
 * Picks τ for the threshold rule by k-fold cross-validation (see the module comment for the procedure).
 *
 * @throws RangeError / SecateursError `PRUNE_BAD_INPUT` for bad options, before any sweep runs.
 * @example
 * ```ts
 * const cv = await crossValidateThreshold(model, val, { maxDrop: 0.01, objective: 'top1', k: 5, levels: [0, .25, .5, .75, .9] });
 * const plan = computeMasks(model, scores, { scope: { kind: 'explicit', sparsities: cv.sparsities! } });
 * ```
 */
export async function crossValidateThreshold(model: Model, dataset: Dataset, options: CrossValidateOptions): Promise<CrossValidation> {
  const k = options.k ?? 5;
  const objective = options.objective ?? 'top1';
  const thresholds = [...(options.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
  checkInt(k, 'k', 2, dataset.count);
  if (!Number.isFinite(options.maxDrop)) throw new RangeError(`'maxDrop' is ${options.maxDrop}, out of range (−∞, ∞).`);
  for (const [i, t] of thresholds.entries()) if (!Number.isFinite(t)) throw new RangeError(`'thresholds[${i}]' is ${t}, out of range (−∞, ∞).`);
  const { selected, problems } = selectTargets(model, findTargets(model), options);
  if (thresholds.length === 0) problems.push(`'thresholds' is empty`);
  problems.push(...datasetProblems(model, dataset), ...(options.scores ? [] : scoreProblems(model, { ...options, dataset: options.dataset ?? dataset })));
  failOn(problems, 'crossValidateThreshold');
  const scores = options.scores ?? await scoreTargets(model, selected, { ...options, dataset: options.dataset ?? dataset });
  const metric = options.metric ?? (objective === 'kl' ? 'kl' : 'labels');
  const folds = kFolds(dataset, k, options.foldSeed ?? 0);
  const sweeps: SensitivityResult[] = [];
  for (const fold of folds) sweeps.push(await analyzeSensitivity(model, fold, { ...options, scores, metric }));
  const results = [];
  for (const [f, fold] of folds.entries()) {
    const train = mergeSweeps(sweeps.filter((_, i) => i !== f));
    const curves = sensitivityCurves(train, objective);
    const dropOf = dropMeter(model, fold, objective, options.batchSize ?? 256);
    const scoresOf = [];
    for (const threshold of thresholds) {
      const sparsities = thresholdSparsities(train, threshold, objective);
      const plan = computeMasks(model, scores, { ...options, scope: { kind: 'explicit', sparsities } });
      const pruned = plan.layers.reduce((a, l) => a + l.pruned, 0) / selected.reduce((a, t) => a + t.size, 0);
      const heldOutDrop = await dropOf(applyMasks(model, plan));
      const predictedDrop = curves.reduce((a, c) => a + dropAt(c, sparsities[c.layer] ?? 0), 0);
      scoresOf.push({ threshold, sparsity: pruned, predictedDrop, heldOutDrop });
    }
    results.push({ fold: f, count: fold.count, scores: scoresOf });
  }
  return conclude(results, thresholds, sweeps, { objective, maxDrop: options.maxDrop, k });
}

function conclude(
  folds: CrossValidation['folds'], thresholds: readonly number[], sweeps: readonly SensitivityResult[],
  ctx: { objective: AllocationMetric; maxDrop: number; k: number },
): CrossValidation {
  const summary = thresholds.map((threshold, i): ThresholdSummary => {
    const drops = folds.map((f) => f.scores[i]!.heldOutDrop);
    const meanDrop = drops.reduce((a, b) => a + b, 0) / drops.length;
    const stdDrop = Math.sqrt(drops.reduce((a, d) => a + (d - meanDrop) ** 2, 0) / Math.max(1, drops.length - 1));
    const meanSparsity = folds.reduce((a, f) => a + f.scores[i]!.sparsity, 0) / folds.length;
    return { threshold, meanDrop, stdDrop, meanSparsity };
  });
  const ok = summary.filter((s) => s.meanDrop <= ctx.maxDrop);
  const best = ok.reduce<ThresholdSummary | undefined>((b, s) => (!b || s.meanSparsity > b.meanSparsity ? s : b), undefined);
  const sparsities = best ? thresholdSparsities(mergeSweeps(sweeps), best.threshold, ctx.objective) : undefined;
  return { chosen: best?.threshold, ...ctx, folds, summary, sparsities };
}
