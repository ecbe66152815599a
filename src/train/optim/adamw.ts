import { Adam, type AdamOptions } from './adam.js';
import type { OptimizerKind } from './types.js';

/**
 * AdamW as `torch.optim.AdamW`: the weight is first decayed, w ← w·(1 − lr·wd), then the Adam step runs on the
 * plain gradient (decoupled weight decay, Loshchilov & Hutter). PyTorch's default weight decay is 0.01; here, as
 * for every optimizer, it is 0 unless given.
 *
 * @example
 * ```ts
 * const opt = new AdamW({ weightDecay: 0.01 });
 * opt.step([w], [g], 1e-3);
 * ```
 */
export class AdamW extends Adam {
  override readonly kind: OptimizerKind = 'adamw';
  protected override readonly decoupled: boolean = true;

  constructor(o: AdamOptions = {}) {
    super(o);
  }
}
