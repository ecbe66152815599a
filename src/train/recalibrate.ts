import { batchNormToTraining } from '../autodiff/index.js';
import { batches, type Dataset } from '../data/index.js';
import { cloneModel } from '../ir/clone.js';
import type { Model } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { createSession, type TensorData } from '../runtime/index.js';

/** Options of {@link recalibrateBatchNorm}. */
export interface RecalibrateOptions {
  /** Calibration batches (at most one pass over the data); default 32. */
  readonly batches?: number;
  /** Default 64. */
  readonly batchSize?: number;
  /** Model input fed with the samples; default the only input. */
  readonly inputName?: string;
  readonly seed?: number;
  readonly threads?: number;
}

/** What {@link recalibrateBatchNorm} did. */
export interface RecalibrationResult {
  /** The model with every BatchNormalization's running mean and variance recomputed (the source is untouched). */
  readonly model: Model;
  readonly layers: number;
  readonly samples: number;
}

/**
 * Gradient-free repair after pruning: recomputes every BatchNormalization's running mean and variance from calibration
 * data flowing through the pruned network (each BN normalizing with batch statistics, as in training), as the
 * cumulative average over the batches of the batch mean and the unbiased batch variance — PyTorch's
 * `momentum=None` recalibration. Pruning channels upstream shifts the statistics a BN sees; this restores them without
 * labels or gradients.
 *
 * @example
 * ```ts
 * const { model: repaired } = await recalibrateBatchNorm(pruned, take(trainSet, 2048), { batches: 32 });
 * ```
 */
export async function recalibrateBatchNorm(model: Model, data: Dataset, options: RecalibrateOptions = {}): Promise<RecalibrationResult> {
  const { model: stats, stats: bns } = batchNormToTraining(model);
  if (bns.length === 0) return { model: cloneModel(model), layers: 0, samples: 0 };
  const session = await createSession(stats, { threads: options.threads ?? 1 });
  const input = options.inputName ?? session.inputNames[0]!;
  const dims = session.inputs.find((i) => i.name === input)?.shape ?? [];
  const sums = bns.map(() => ({ mean: new Float64Array(0), variance: new Float64Array(0) }));
  let [seen, samples] = [0, 0];
  try {
    for (const b of batches(data, { batchSize: options.batchSize ?? 64, shuffle: true, seed: options.seed ?? 0, dropLast: true })) {
      if (seen >= (options.batches ?? 32)) break;
      const x: TensorData = { dtype: 'float32', dims: [b.size, ...sampleDims(dims, data)], data: b.x };
      const out = await session.run({ [input]: x }, bns.flatMap((s) => [s.mean, s.var]));
      bns.forEach((s, k) => accumulate(sums[k]!, out[s.mean]!.data as Float32Array, out[s.var]!.data as Float32Array, b.size * (s.spatialSize ?? 1)));
      seen++;
      samples += b.size;
    }
  } finally {
    await session.release();
  }
  if (seen === 0) throw new RangeError(`recalibrateBatchNorm: the dataset gives no full batch of ${options.batchSize ?? 64} samples.`);
  const repaired = cloneModel(model);
  bns.forEach((s, k) => {
    for (const [name, acc] of [[s.runningMean, sums[k]!.mean], [s.runningVar, sums[k]!.variance]] as const) {
      const v = repaired.graph.requireValue(name);
      v.constant = Tensor.fromTyped('float32', v.constant!.dims, Float32Array.from(acc, (x) => x / seen));
    }
  });
  return { model: repaired, layers: bns.length, samples };
}

function accumulate(acc: { mean: Float64Array; variance: Float64Array }, mean: Float32Array, biasedVar: Float32Array, count: number): void {
  if (acc.mean.length === 0) Object.assign(acc, { mean: new Float64Array(mean.length), variance: new Float64Array(mean.length) });
  const unbias = count > 1 ? count / (count - 1) : 1;
  for (let c = 0; c < mean.length; c++) {
    acc.mean[c]! += mean[c]!;
    acc.variance[c]! += biasedVar[c]! * unbias;
  }
}

/** The model's per-sample input dims when static, else the dataset's sample shape. */
function sampleDims(dims: readonly (number | string | null)[], data: Dataset): number[] {
  const rest = dims.slice(1);
  return rest.length > 0 && rest.every((d): d is number => typeof d === 'number') ? rest : [...data.sampleShape];
}
