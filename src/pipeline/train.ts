import { loadDataset, splitTrainVal, type Dataset } from '../data/index.js';
import type { Model } from '../ir/graph.js';
import { measureModel, type Measurement } from '../report/measure.js';
import { train, zeroMasks, type EpochStats, type TrainOptions } from '../train/index.js';

/** Options of {@link runTraining}: the trainer's options plus data handling. */
export interface TrainingJob extends Omit<TrainOptions, 'valSet' | 'masks'> {
  /** `mnist`, `fashion-mnist` or an .npz path. */
  readonly data: string;
  /** Fraction of the training split held out for validation (best epoch, early stopping); default 0.1, 0 for none. */
  readonly valFraction?: number;
  /** Keep weights that are exactly zero at zero (fine-tuning a pruned model). */
  readonly keepZeros?: boolean;
  /** Evaluate before/after on the first `testLimit` test samples only. */
  readonly testLimit?: number;
  readonly log?: ((line: string) => void) | undefined;
}

/** What a training job measured. */
export interface TrainingReport {
  readonly before: Measurement;
  readonly after: Measurement;
  readonly history: readonly EpochStats[];
  readonly steps: number;
  readonly bestEpoch: number | undefined;
  readonly stoppedEarly: boolean;
  /** Parameters held at zero by masks (fine-tuning). */
  readonly maskedZeros: number;
  readonly model: Model;
}

/**
 * Trains or fine-tunes a classifier on a dataset and measures it before and after (accuracy on the test split,
 * parameters, MACs, size, latency). With `keepZeros`, every weight that is exactly zero stays zero (pruning masks).
 *
 * @example
 * ```ts
 * const r = await runTraining(model, { data: 'mnist', epochs: 1, optimizer: 'adam', lr: 1e-3 });
 * console.log(r.before.eval?.top1, '->', r.after.eval?.top1);
 * ```
 */
export async function runTraining(model: Model, job: TrainingJob): Promise<TrainingReport> {
  const log = job.log ?? (() => undefined);
  const [full, test] = [await loadDataset(job.data, 'train'), await loadDataset(job.data, 'test')];
  const valFraction = job.valFraction ?? 0.1;
  if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError(`'valFraction' must be in [0, 1), got ${valFraction}.`);
  const { train: trainSet, val } = valFraction > 0
    ? splitTrainVal(full, { valFraction, seed: job.seed ?? 0, stratified: true })
    : { train: full, val: undefined as Dataset | undefined };
  const measure = { progress: false, ...(job.testLimit !== undefined ? { limit: job.testLimit } : {}) };
  log(`measuring the model before training (${test.name}/${test.split})`);
  const before = await measureModel(model, test, measure);
  const filter = { ...(job.include ? { include: job.include } : {}), ...(job.exclude ? { exclude: job.exclude } : {}) };
  const masks = job.keepZeros ? zeroMasks(model, filter) : undefined;
  const maskedZeros = masks ? [...masks.values()].reduce((a, m) => a + m.length - countOnes(m), 0) : 0;
  log(`training on ${trainSet.count} samples${val ? `, validating on ${val.count}` : ''}${masks ? `, ${maskedZeros} zero weights held at zero` : ''}`);
  const { data: _d, valFraction: _v, keepZeros: _k, testLimit: _t, log: _l, ...trainOpts } = job;
  const result = await train(model, trainSet, { ...trainOpts, ...(val ? { valSet: val } : {}), ...(masks ? { masks } : {}) });
  log('measuring the trained model');
  const after = await measureModel(result.model, test, measure);
  return {
    before, after, history: result.history, steps: result.steps, bestEpoch: result.best?.epoch,
    stoppedEarly: result.stoppedEarly, maskedZeros, model: result.model,
  };
}

function countOnes(m: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) n += m[i]!;
  return n;
}
