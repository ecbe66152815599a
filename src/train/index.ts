/**
 * Fine-tuning by generated gradient graphs: trainable-parameter selection, optimizers (SGD, Adam, AdamW; masks,
 * clipping; WebAssembly SIMD kernels with a JS fallback), learning-rate schedules, the trainer loop with validation,
 * early stopping, atomic checkpoints and exact resume, knowledge distillation from a teacher model (logits and
 * intermediate features, labelled or unlabelled data), and export of the trained inference model.
 *
 * @example
 * ```ts
 * import { train } from './train/index.js';
 * const r = await train(model, trainSet, { epochs: 3, optimizer: 'adamw', lr: 1e-3, schedule: 'cosine', valSet });
 * console.table(r.history);
 * ```
 * @module
 */
export { train, type TrainResult } from './trainer.js';
export type { EarlyStopping, MaskUpdate, ParamValuesOf, StepReport, TrainOptions } from './options.js';
export type { BestEpoch, EpochStats, ValMetric } from './book.js';
export { DEFAULT_ALPHA, DEFAULT_TEMPERATURE, unlabeled, type DistillOptions, type FeaturePair } from './distill.js';
export { batchNormStats, trainableParams, zeroMasks, type BatchNormStats, type ParamFilter, type ParamInfo, type ParamRole } from './params.js';
export { exportTrained, type ParamValues } from './export.js';
export { firstNonFinite, type NonFinite } from './guard.js';
export { checkPlan, lrAt, type LrPlan, type Schedule } from './schedule.js';
export {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint,
  type Checkpoint, type CheckpointManifest, type CheckpointTensor,
} from './checkpoint.js';
export { BEST_CHECKPOINT, LAST_CHECKPOINT } from './run.js';
export {
  Adam, AdamW, ArenaOptimizer, createOptimizer, SGD, wasmSimdAvailable,
  type AdamOptions, type ArenaOptions, type CommonOptions, type KernelBackend, type Optimizer, type OptimizerKind,
  type OptimizerOptions, type OptimizerState, type SgdOptions, type StepInfo,
} from './optim/index.js';
export { createGradientSource, type GradientAccumulator, type GradientSourceOptions, type GradientSums } from './gradient-source.js';
export { recalibrateBatchNorm, type RecalibrateOptions, type RecalibrationResult } from './recalibrate.js';
