import { ArenaOptimizer, nonNegative, unitInterval, type ArenaOptions } from './base.js';
import { FIRST_STATE_SLOT, GRAD_SLOT, WEIGHT_SLOT } from './arena.js';

/** Options of {@link SGD}. */
export interface SgdOptions extends ArenaOptions {
  /** Momentum factor; default 0. */
  readonly momentum?: number;
  /** Dampening of the momentum; default 0. */
  readonly dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0); default false. */
  readonly nesterov?: boolean;
}

/**
 * Stochastic gradient descent as `torch.optim.SGD`: g ← g + wd·w; b ← μ·b + (1 − dampening)·g (b ← g on the first
 * step); w ← w − lr·(Nesterov ? g + μ·b : b). Without momentum, w ← w − lr·g.
 *
 * @example
 * ```ts
 * const opt = new SGD({ momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
 * opt.step([w], [g], 0.1);
 * ```
 */
export class SGD extends ArenaOptimizer {
  readonly kind = 'sgd' as const;
  private readonly momentum: number;
  private readonly dampening: number;
  private readonly nesterov: boolean;

  constructor(o: SgdOptions = {}) {
    super(['momentum'], o);
    this.momentum = unitInterval('momentum', o.momentum ?? 0);
    this.dampening = nonNegative('dampening', o.dampening ?? 0);
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError(`Nesterov momentum needs 'momentum' > 0 and 'dampening' 0, got ${this.momentum} and ${this.dampening}.`);
    }
  }

  protected hyper(): Record<string, number | boolean> {
    return { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }

  protected update(k: number, lr: number, gradScale: number): void {
    const a = this.arena!;
    const hasMomentum = this.momentum > 0;
    const first = this.t === 1 || !hasMomentum;
    // Without momentum the buffer is never read again, so the kernel writes it over the gradient it has just read
    // (element by element, so in place is safe): the momentum memory is then never written, hence never resident.
    const b = hasMomentum ? a.at(FIRST_STATE_SLOT, k) : a.at(GRAD_SLOT, k);
    a.kernels.sgd(a.at(WEIGHT_SLOT, k), a.at(GRAD_SLOT, k), b, this.maskAt(k), a.padded(k), {
      gradScale,
      lr,
      wd: this.weightDecay,
      mu: first ? 0 : this.momentum,
      damp: first ? 1 : 1 - this.dampening,
      cg: this.nesterov ? 1 : 0,
      cb: this.nesterov ? this.momentum : 1,
    });
  }
}
