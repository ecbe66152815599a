import { Adam, type AdamOptions } from './adam.js';
import { AdamW } from './adamw.js';
import { SGD, type SgdOptions } from './sgd.js';
import type { Optimizer, OptimizerKind } from './types.js';

export { Adam, type AdamOptions } from './adam.js';
export { AdamW } from './adamw.js';
export { SGD, type SgdOptions } from './sgd.js';
export { ArenaOptimizer, type ArenaOptions } from './base.js';
export { type KernelBackend } from './arena.js';
export { wasmSimdAvailable } from './wasm.js';
export type { CommonOptions, Optimizer, OptimizerKind, OptimizerState, StepInfo } from './types.js';

/** Options of {@link createOptimizer}: those of every optimizer; each reads the ones it knows. */
export type OptimizerOptions = SgdOptions & AdamOptions;

/**
 * An optimizer by name.
 *
 * @example
 * ```ts
 * const opt = createOptimizer('sgd', { momentum: 0.9, clipNorm: 5 });
 * ```
 */
export function createOptimizer(kind: OptimizerKind, options: OptimizerOptions = {}): Optimizer {
  switch (kind) {
    case 'sgd': return new SGD(options);
    case 'adam': return new Adam(options);
    case 'adamw': return new AdamW(options);
    default: throw new RangeError(`optimizer must be one of sgd, adam, adamw; got '${String(kind)}'.`);
  }
}
