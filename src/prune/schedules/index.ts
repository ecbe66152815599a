/**
 * Pruning schedules: one-shot prune + fine-tune, iterative prune/retrain (Han et al. 2015), gradual pruning on the
 * AGP schedule during one training run (Zhu & Gupta 2017), and lottery-ticket IMP with rewinding and its random
 * re-init control (Frankle & Carbin 2019). The multi-round schedules prune by magnitude, layer by layer, and never
 * revive a pruned weight; every trained model keeps pruned weights exactly 0.
 *
 * @example
 * ```ts
 * import { agpSparsity, oneShot } from './prune/schedules/index.js';
 * agpSparsity(500, { initial: 0, final: 0.9, startStep: 0, frequency: 100, steps: 10 });   // 0.7875
 * const { model: pruned } = await oneShot(model, trainSet, { prune: { scope: { kind: 'layer', sparsity: 0.5 } }, finetuneEpochs: 1 });
 * ```
 * @module
 */
export { agpSparsity, checkAgp, type AgpSchedule } from './agp.js';
export {
  denseMasks, planOf, prunedCount, pruneMore, pruneToSparsity, pruneWeightsGlobally, remainingFraction, scheduleTargets, weightOf, type MaskSet,
} from './magnitude.js';
export {
  geometricSparsity, iterative, masksOf, oneShot,
  type FinetuneOptions, type IterativeOptions, type OneShotOptions, type ScheduleResult,
} from './retrain.js';
export { agpPrune, type AgpPoint, type AgpPruneOptions, type AgpResult, type AgpTrainOptions } from './agp-prune.js';
export {
  lotteryPrune, lotteryTicket, rewindWeights, shuffledInit,
  type LotteryOptions, type LotteryResult, type LotteryRound,
} from './lottery.js';
