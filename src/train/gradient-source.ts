/**
 * A gradient source (the prune module's `GradientSource` contract) for the gradient-based pruning criteria
 * (taylor, taylor-squared, fisher, snip, movement),
 * backed by the trainer's generated forward + cross-entropy + backward graph in one onnxruntime session.
 */
import { batches } from '../data/batch.js';
import type { Dataset } from '../data/types.js';
import { SecateursError } from '../errors.js';
import type { Model } from '../ir/graph.js';
import { trainableParams, type ParamInfo } from './params.js';
import { GradientRunner } from './step.js';

/**
 * Per-element gradient sums over `count` batches; structurally the prune module's `GradientStats` (declared here
 * because imports flow downward: prune reads train's output, train never imports prune).
 */
export interface GradientSums {
  /** Σ_b g_b */
  readonly sum: Float32Array;
  /** Σ_b g_b² */
  readonly sumSq: Float32Array;
  /** Σ_b w·g_b */
  readonly sumWG: Float32Array;
  /** Σ_b (w·g_b)² */
  readonly sumWGsq: Float32Array;
  readonly count: number;
}

/** What {@link createGradientSource} returns: assignable to the prune module's `GradientSource`. */
export interface GradientAccumulator {
  accumulate(params: string[], batches: number): Promise<Map<string, GradientSums>>;
}

/** Options of {@link createGradientSource}. */
export interface GradientSourceOptions {
  /** Samples per calibration batch; default 64. Every batch is full (the dataset's tail is dropped per pass). */
  readonly batchSize?: number;
  /** Seed of the batch order (shuffled per pass over the dataset, as the trainer shuffles epochs); default 0. */
  readonly seed?: number;
  /** onnxruntime intra-op threads; default 1. */
  readonly threads?: number;
}

/**
 * The gradient statistics of a classifier's batch-mean softmax cross-entropy over calibration batches of `dataset`,
 * for the prune module's gradient criteria. Each `accumulate(params, n)` call builds the gradient graph with respect
 * to exactly `params` (parameters become graph inputs, gradients graph outputs), runs `n` seeded, shuffled batches
 * through one onnxruntime session (released before it returns), and sums per element in float64: Σg, Σg², Σw·g and
 * Σ(w·g)² (w is the model's value, fixed). The same call on the same source gives the same statistics; more batches
 * than one pass holds continue into the next pass, with its own order. BatchNormalization layers use batch
 * statistics, as in training.
 *
 * @throws RangeError for a `batchSize` that is not an integer in [1, dataset.count], or a bad `threads`;
 *   SecateursError `PRUNE_GRADIENTS` (from `accumulate`) naming every requested tensor that is not a trainable
 *   float32 parameter.
 * @example
 * ```ts
 * const gradients = createGradientSource(model, take(trainSet, 512), { batchSize: 64 });
 * const plan = await planPruning(model, { criterion: 'taylor', gradients, gradientBatches: 8, scope: { kind: 'layer', sparsity: 0.5 } });
 * ```
 */
export function createGradientSource(model: Model, dataset: Dataset, options: GradientSourceOptions = {}): GradientAccumulator {
  const batchSize = options.batchSize ?? 64;
  const threads = options.threads ?? 1;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > dataset.count) {
    throw new RangeError(`createGradientSource: 'batchSize' must be an integer in [1, ${dataset.count}] (the dataset's size), got ${batchSize}.`);
  }
  if (!Number.isSafeInteger(threads) || threads < 0) throw new RangeError(`createGradientSource: 'threads' must be an integer >= 0, got ${threads}.`);
  if (!Number.isFinite(seed)) throw new RangeError(`createGradientSource: 'seed' must be a finite number, got ${seed}.`);
  return {
    async accumulate(params: string[], count: number): Promise<Map<string, GradientSums>> {
      if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`accumulate: 'batches' must be an integer >= 1, got ${count}.`);
      const infos = pickParams(model, params);
      const runner = await GradientRunner.create(model, infos, dataset, { labelSmoothing: 0, threads });
      try {
        const weights = infos.map((p) => model.graph.requireValue(p.name).constant!.toFloat32());
        runner.bindParams(weights);
        const sums = infos.map((p) => new Sums(p.size));
        for (const b of calibrationBatches(dataset, batchSize, seed, count)) {
          const out = await runner.run(b.x, b.y, b.size);
          sums.forEach((s, k) => s.add(weights[k]!, out.grads[k]!));
        }
        return new Map(infos.map((p, k) => [p.name, sums[k]!.stats(count)]));
      } finally {
        await runner.release();
      }
    },
  };
}

/** The trainable parameters named in `names`, in that order; all unknown names reported together. */
function pickParams(model: Model, names: readonly string[]): ParamInfo[] {
  const byName = new Map(trainableParams(model).map((p) => [p.name, p]));
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw new SecateursError('PRUNE_GRADIENTS', `no gradient for ${missing.map((n) => `'${n}'`).join(', ')}: not a trainable float32 parameter of graph '${model.graph.name}'.`);
  }
  return names.map((n) => byName.get(n)!);
}

/** `count` full batches: pass 0 in its seeded order, then pass 1 in its own, and so on. */
function* calibrationBatches(ds: Dataset, batchSize: number, seed: number, count: number): Generator<{ x: Float32Array; y: Int32Array; size: number }> {
  let done = 0;
  for (let epoch = 0; done < count; epoch++) {
    for (const b of batches(ds, { batchSize, shuffle: true, seed, epoch, dropLast: true, reuseBuffers: true })) {
      yield b;
      if (++done === count) return;
    }
  }
}

/** Float64 running sums of one parameter's statistics. */
class Sums {
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;
  private readonly sumWG: Float64Array;
  private readonly sumWGsq: Float64Array;

  constructor(n: number) {
    this.sum = new Float64Array(n);
    this.sumSq = new Float64Array(n);
    this.sumWG = new Float64Array(n);
    this.sumWGsq = new Float64Array(n);
  }

  add(w: Float32Array, g: Float32Array): void {
    for (let i = 0; i < g.length; i++) {
      const gi = g[i]!;
      const wg = w[i]! * gi;
      this.sum[i]! += gi;
      this.sumSq[i]! += gi * gi;
      this.sumWG[i]! += wg;
      this.sumWGsq[i]! += wg * wg;
    }
  }

  stats(count: number): GradientSums {
    return {
      sum: Float32Array.from(this.sum), sumSq: Float32Array.from(this.sumSq),
      sumWG: Float32Array.from(this.sumWG), sumWGsq: Float32Array.from(this.sumWGsq), count,
    };
  }
}
