/**
 * Contracts of the importance criteria: what a criterion reads (weights, gradient statistics, input activation
 * norms) and the gradient source the training module implements.
 */
import type { Rng } from '../../util/rng.js';
import type { PruneTarget } from '../targets.js';

/**
 * Gradient statistics of one weight tensor over `count` calibration batches, each array aligned to the weight's
 * elements. `g_b` is the loss gradient of batch `b` (the batch-mean loss), `w_b` the weight when it was taken
 * (constant for one-shot scoring, changing during fine-tuning for movement pruning):
 *
 * - `sum` = Σ_b g_b            - `sumSq` = Σ_b g_b²
 * - `sumWG` = Σ_b w_b·g_b      - `sumWGsq` = Σ_b (w_b·g_b)²
 */
export interface GradientStats {
  readonly sum: Float32Array;
  readonly sumSq: Float32Array;
  readonly sumWG: Float32Array;
  readonly sumWGsq: Float32Array;
  /** Number of batches accumulated. */
  readonly count: number;
}

/**
 * Where gradient-based criteria get their statistics. The training module implements it with the generated
 * forward+backward graph; tests implement it with a hand-written MLP gradient.
 *
 * @example
 * ```ts
 * const source: GradientSource = {
 *   async accumulate(params, batches) {
 *     return new Map(params.map((p) => [p, statsFromMyTrainer(p, batches)]));
 *   },
 * };
 * ```
 */
export interface GradientSource {
  /** Runs `batches` calibration batches and returns the statistics of every parameter named in `params`. */
  accumulate(params: string[], batches: number): Promise<Map<string, GradientStats>>;
}

/** Names of the element-wise importance criteria (see {@link CRITERIA}). */
export type CriterionName =
  | 'magnitude' | 'magnitude-l2' | 'random' | 'taylor' | 'taylor-squared' | 'fisher' | 'snip' | 'wanda' | 'movement';

/** What one criterion call receives. `gradients` / `inputNorms` are present when the criterion needs them. */
export interface ScoreInput {
  readonly target: PruneTarget;
  /** The weight as float32, flat, in the tensor's C order. */
  readonly weight: Float32Array;
  readonly rng: Rng;
  readonly gradients?: GradientStats;
  /** ‖X_j‖₂ per input feature/channel of the layer (Wanda). */
  readonly inputNorms?: Float32Array;
}

/** A registry entry: what the criterion needs and the pure function that scores. Higher scores are kept. */
export interface CriterionEntry {
  readonly description: string;
  /** `weights` only, or also `gradients` (a GradientSource), or `activations` (a calibration dataset). */
  readonly needs: 'weights' | 'gradients' | 'activations';
  /** Where masks compare scores by default: within the whole `layer`, or within each output `row` (Wanda). */
  readonly compare: 'layer' | 'row';
  /** `sum`: scores are divided by their sum over every scored layer (SNIP's normalization). */
  readonly normalize?: 'sum';
  readonly score: (input: ScoreInput) => Float32Array;
}
