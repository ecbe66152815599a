/**
 * Model statistics: parameters (dense and nonzero), bytes, MACs/FLOPs per layer, ShrinkBench's compression ratio
 * and theoretical speedup, and file sizes.
 *
 * @example
 * ```ts
 * import { modelStats } from './metrics/index.js';
 * const s = await modelStats(model, { batch: 1 });
 * console.log(s.params, s.macs, s.theoreticalSpeedup);
 * ```
 */
export { modelStats } from './stats.js';
export { fileSizes } from './size.js';
export { countNonzero, findParameters, type ParamTensor } from './params.js';
export { findMacRule, MAC_RULES, noMacs, type MacRuleEntry } from './macs/registry.js';
export type { MacContext, MacRule } from './macs/types.js';
export type { FileSizes, LayerStats, ModelStats, ModelStatsOptions, ShapeSource } from './types.js';
