/**
 * Sensitivity analysis, as Distiller and SparseML do it: prune one layer at a time at each level (no retraining)
 * and measure the model — top-1/top-5/loss against labels, and/or the KL divergence of its outputs from the dense
 * model's (label-free). Cells run in worker threads, one onnxruntime session each; results are cached on disk per
 * cell, so a rerun computes only what is missing.
 */
import { availableParallelism } from 'node:os';
import { checkInputShape, take, type Dataset } from '../data/index.js';
import type { Model } from '../ir/graph.js';
import { encodeModel } from '../onnx/index.js';
import { createProgress, createSession, SILENT, type Progress } from '../runtime/index.js';
import { scoreProblems, scoreTargets, type ScoreMap, type ScoreTargetsOptions } from './criteria/score.js';
import { compareOf } from './masks/compute.js';
import { Ranking } from './masks/rank.js';
import { selectTargets, type LayerSelection } from './selectors.js';
import { hashParts, SensitivityCache } from './sensitivity-cache.js';
import { maskedCopy, SweepEvaluator, weightsAsInputs, type CellMetrics, type SweepData, type SweepMetric, type SweepSetup, type WeightArray } from './sweep/evaluator.js';
import { runJobs, siblingModule } from './sweep/pool.js';
import { WORKER_KIND, type ToWorker, type WorkerInit } from './sweep/protocol.js';
import { findTargets, targetTensor, type PruneTarget } from './targets.js';
import { checkInt, checkSparsity, datasetProblems, failOn } from './validate.js';
import { rowView } from './views.js';

/** Distiller's levels: 0, 0.05, …, 0.95. */
export const DEFAULT_LEVELS: readonly number[] = Array.from({ length: 20 }, (_, i) => i / 20);

/** Options of {@link analyzeSensitivity}. */
export interface SensitivityOptions extends LayerSelection, ScoreTargetsOptions {
  /** Sparsity levels in [0, 1); default {@link DEFAULT_LEVELS}. */
  readonly levels?: readonly number[];
  /** Default `both`. */
  readonly metric?: SweepMetric;
  /** Worker threads; default min(2, os.availableParallelism()). 0 runs in this thread. */
  readonly workers?: number;
  /** Samples per run; default 256. */
  readonly batchSize?: number;
  /** Use only the first `limit` samples. */
  readonly limit?: number;
  /** Folder of the cell cache; no caching when absent. */
  readonly cacheDir?: string;
  /** `true` for a progress display on stderr, or a Progress to drive. */
  readonly progress?: boolean | Progress;
  /** Element masks compare within the `layer` or each `row`; default the criterion's. */
  readonly compare?: 'layer' | 'row';
  /** Precomputed scores (skips scoring; `criterion` is then only a label). */
  readonly scores?: ScoreMap;
}

/** One cell: `layer` pruned alone to `level`. Metrics not measured are null. */
export interface SensitivityRow {
  readonly layer: string;
  readonly level: number;
  readonly top1: number | null;
  readonly top5: number | null;
  readonly loss: number | null;
  readonly kl: number | null;
  /** Elements of the layer's weight. */
  readonly params: number;
  /** Elements pruned at this level: round(level · params). */
  readonly pruned: number;
}

/** The table of a sweep, with what it was measured on. */
export interface SensitivityResult {
  readonly rows: readonly SensitivityRow[];
  readonly dense: { readonly top1: number | null; readonly top5: number | null; readonly loss: number | null };
  readonly layers: readonly string[];
  readonly levels: readonly number[];
  readonly metric: SweepMetric;
  readonly criterion: string;
  readonly dataset: { readonly name: string; readonly split: string; readonly count: number };
  /** Cells measured by this call. */
  readonly computed: number;
  /** Cells taken from the cache. */
  readonly cached: number;
  readonly cachePath: string | undefined;
}

interface Cell { readonly target: PruneTarget; readonly level: number; readonly k: number; readonly scores: string }

function checkOptions(model: Model, ds: Dataset, o: SensitivityOptions): PruneTarget[] {
  const levels = o.levels ?? DEFAULT_LEVELS;
  levels.forEach((l, i) => checkSparsity(l, `levels[${i}]`));
  if (o.workers !== undefined) checkInt(o.workers, 'workers', 0, 64);
  if (o.batchSize !== undefined) checkInt(o.batchSize, 'batchSize', 1);
  if (o.limit !== undefined) checkInt(o.limit, 'limit', 1);
  const metric = o.metric ?? 'both';
  if (!['labels', 'kl', 'both'].includes(metric)) throw new RangeError(`'metric' must be 'labels', 'kl' or 'both', got '${String(metric)}'.`);
  const { selected, problems } = selectTargets(model, findTargets(model), o);
  if (levels.length === 0) problems.push(`'levels' is empty`);
  problems.push(...datasetProblems(model, ds), ...(o.scores ? [] : scoreProblems(model, { ...o, dataset: o.dataset ?? ds })));
  for (const t of o.scores ? selected : []) if (o.scores!.get(t.name)?.length !== t.size) problems.push(`'scores' has no ${t.size} scores for layer '${t.name}'`);
  failOn(problems, 'analyzeSensitivity');
  return selected;
}

function sweepParts(model: Model, ds: Dataset, targets: readonly PruneTarget[], o: SensitivityOptions): { init: WorkerInit; bytes: Uint8Array } {
  const input = model.graph.inputs.find((v) => !v.constant)!;
  const fit = checkInputShape(ds, input.shape ?? [], input.name);
  // A plain copy: onnxruntime-node rejects feeds over a SharedArrayBuffer ("Invalid argument"), so each worker
  // receives its own structured clone.
  const x = ds.x.slice(0, ds.count * ds.sampleShape.reduce((a, b) => a * b, 1));
  const data: SweepData = { x, y: ds.y.slice(), count: ds.count, sampleDims: fit.sampleShape ?? ds.sampleShape, fixedBatch: fit.fixedBatch ?? undefined };
  const setup: SweepSetup = {
    inputName: input.name,
    outputName: model.graph.outputs[0]!.name,
    batchSize: o.batchSize ?? 256,
    metric: o.metric ?? 'both',
    weights: targets.map((t) => {
      const tensor = targetTensor(model.graph, t);
      return { name: t.name, tensor: { dtype: tensor.dtype, dims: [...tensor.dims], data: (tensor.view() as WeightArray).slice() } };
    }),
  };
  const bytes = encodeModel(model);
  return { init: { kind: WORKER_KIND, model: encodeModel(weightsAsInputs(model, targets.map((t) => t.name))), data, setup }, bytes };
}

function openCache(bytes: Uint8Array, ds: Dataset, o: SensitivityOptions): SensitivityCache {
  if (!o.cacheDir) return SensitivityCache.none();
  const criterion = o.criterion ?? 'magnitude';
  const metric = o.metric ?? 'both';
  const key = hashParts(['model', bytes, 'data', ds.name, ds.split, String(ds.count), ds.x, ds.y, criterion, metric, String(o.batchSize ?? 256)]);
  return SensitivityCache.open(o.cacheDir, key, { criterion, metric, dataset: `${ds.name}/${ds.split}`, count: ds.count });
}

/**
 * Prunes each selected layer alone at each level and measures the model.
 *
 * @throws RangeError for numbers outside their interval; SecateursError `PRUNE_BAD_INPUT` (selection, criterion
 *   inputs, dataset shape) before any run; `PRUNE_WORKER` when a worker fails.
 * @example
 * ```ts
 * const r = await analyzeSensitivity(model, take(mnistTest, 500), { levels: [0, 0.5, 0.9], cacheDir: '.cache/sens' });
 * r.rows.find((x) => x.layer === 'fc1/weight' && x.level === 0.9)?.top1;
 * ```
 */
export async function analyzeSensitivity(model: Model, dataset: Dataset, options: SensitivityOptions = {}): Promise<SensitivityResult> {
  const selected = checkOptions(model, dataset, options);
  const ds = options.limit !== undefined ? take(dataset, options.limit) : dataset;
  const levels = [...new Set(options.levels ?? DEFAULT_LEVELS)].sort((a, b) => a - b);
  const scores = options.scores ?? await scoreTargets(model, selected, { ...options, dataset: options.dataset ?? ds });
  const { init, bytes } = sweepParts(model, ds, selected, options);
  const cache = openCache(bytes, ds, options);
  const hashes = new Map(selected.map((t) => [t.name, hashParts([scores.get(t.name)!]).slice(0, 16)]));
  const cells = selected.flatMap((t) => levels.map((level): Cell => ({ target: t, level, k: Math.round(level * t.size), scores: hashes.get(t.name)! })));
  const missing = cells.filter((c) => !cache.get(c.target.name, c.level, c.scores));
  const masks = maskMaker(scores, options);
  if (missing.length > 0 || !cache.dense) await measure(init, missing, masks, cache, options);
  return assemble(cells, cache, { levels, selected, ds, options, computed: missing.length });
}

function maskMaker(scores: ScoreMap, o: SensitivityOptions): (c: Cell) => Uint8Array {
  const compare = compareOf({ ...o, criterion: o.criterion ?? 'magnitude' });
  const rankings = new Map<string, Ranking>();
  return (c) => {
    let r = rankings.get(c.target.name);
    if (!r) {
      r = new Ranking(scores.get(c.target.name)!, compare === 'row' ? rowView(c.target) : undefined);
      rankings.set(c.target.name, r);
    }
    return r.mask(c.k);
  };
}

async function measure(init: WorkerInit, cells: readonly Cell[], mask: (c: Cell) => Uint8Array, cache: SensitivityCache, o: SensitivityOptions): Promise<void> {
  const progress = o.progress === true ? createProgress('sensitivity', { unit: 'cell' }) : o.progress || SILENT;
  let done = 0;
  const record = (c: Cell, m: CellMetrics): void => {
    cache.put(c.target.name, c.level, c.scores, m);
    progress.update(++done, cells.length);
  };
  try {
    const workers = o.workers ?? Math.min(2, availableParallelism());
    if (workers === 0 || cells.length === 0) await measureHere(init, cells, mask, cache, record);
    else {
      await runJobs<Cell, { dense: CellMetrics }, CellMetrics>({
        entry: siblingModule('worker'),
        workerData: init,
        workers,
        jobs: cells,
        message: (c, id) => {
          const m = mask(c);
          return { message: { type: 'job', id, layer: c.target.name, mask: m } satisfies ToWorker, transfer: [m.buffer as ArrayBuffer] };
        },
        onReady: (r) => cache.setDense(r.dense),
        onResult: record,
      });
    }
  } finally {
    progress.finish();
  }
}

/** The sweep in the calling thread (workers: 0, or only the dense baseline missing). */
async function measureHere(init: WorkerInit, cells: readonly Cell[], mask: (c: Cell) => Uint8Array, cache: SensitivityCache, record: (c: Cell, m: CellMetrics) => void): Promise<void> {
  const session = await createSession(init.model, { threads: 1 });
  try {
    const ev = new SweepEvaluator(session, init.data, init.setup);
    cache.setDense(await ev.reference());
    const dense = new Map(init.setup.weights.map((w) => [w.name, w.tensor.data as WeightArray]));
    for (const c of cells) record(c, await ev.run({ name: c.target.name, data: maskedCopy(dense.get(c.target.name)!, mask(c)) }));
  } finally {
    await session.release();
  }
}

const orNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

function assemble(
  cells: readonly Cell[], cache: SensitivityCache,
  ctx: { levels: number[]; selected: PruneTarget[]; ds: Dataset; options: SensitivityOptions; computed: number },
): SensitivityResult {
  const rows = cells.map((c): SensitivityRow => {
    const m = cache.get(c.target.name, c.level, c.scores)!;
    return { layer: c.target.name, level: c.level, top1: orNull(m.top1), top5: orNull(m.top5), loss: orNull(m.loss), kl: orNull(m.kl), params: c.target.size, pruned: c.k };
  });
  const d = cache.dense!;
  return {
    rows,
    dense: { top1: orNull(d.top1), top5: orNull(d.top5), loss: orNull(d.loss) },
    layers: ctx.selected.map((t) => t.name),
    levels: ctx.levels,
    metric: ctx.options.metric ?? 'both',
    criterion: ctx.options.criterion ?? 'magnitude',
    dataset: { name: ctx.ds.name, split: ctx.ds.split, count: ctx.ds.count },
    computed: ctx.computed,
    cached: cells.length - ctx.computed,
    cachePath: cache.path,
  };
}
