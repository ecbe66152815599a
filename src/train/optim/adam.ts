import { ArenaOptimizer, nonNegative, unitInterval, type ArenaOptions } from './base.js';
import { FIRST_STATE_SLOT, GRAD_SLOT, WEIGHT_SLOT } from './arena.js';
import type { OptimizerKind } from './types.js';

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions extends ArenaOptions {
  /** β1, β2; default [0.9, 0.999]. */
  readonly betas?: readonly [number, number];
  /** Default 1e-8. */
  readonly eps?: number;
}

/**
 * Adam as `torch.optim.Adam` (weight decay is L2: added to the gradient): m ← β1·m + (1 − β1)·g,
 * v ← β2·v + (1 − β2)·g², w ← w − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε).
 *
 * @example
 * ```ts
 * const opt = new Adam({ betas: [0.9, 0.999] });
 * opt.step([w], [g], 1e-3);
 * ```
 */
export class Adam extends ArenaOptimizer {
  readonly kind: OptimizerKind = 'adam';
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  /** AdamW decays the weight (decoupled) instead of adding L2 to the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(o: AdamOptions = {}) {
    super(['m', 'v'], o);
    const [b1, b2] = o.betas ?? [0.9, 0.999];
    this.beta1 = unitInterval('betas[0]', b1);
    this.beta2 = unitInterval('betas[1]', b2);
    this.eps = nonNegative('eps', o.eps ?? 1e-8);
  }

  protected hyper(): Record<string, number | boolean> {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
  }

  protected update(k: number, lr: number, gradScale: number): void {
    const a = this.arena!;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    const wd = this.weightDecay;
    a.kernels.adam(a.at(WEIGHT_SLOT, k), a.at(GRAD_SLOT, k), a.at(FIRST_STATE_SLOT, k), a.at(FIRST_STATE_SLOT + 1, k), this.maskAt(k), a.padded(k), {
      gradScale,
      b1: this.beta1,
      b2: this.beta2,
      c1: 1 - this.beta1,
      c2: 1 - this.beta2,
      step: lr / bc1,
      inv: 1 / Math.sqrt(bc2),
      eps: this.eps,
      l2: this.decoupled ? 0 : wd,
      decay: this.decoupled ? 1 - lr * wd : 1,
    });
  }
}
