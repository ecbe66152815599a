/**
 * Secateurs: prune, fine-tune and compress ONNX models from TypeScript.
 *
 * @example
 * ```ts
 * import { loadModel, loadMnist, evaluate, summarizeModel, encodeModel } from 'secateurs';
 * const model = await loadModel('model.onnx');
 * const r = await evaluate(model, await loadMnist({ split: 'test' }));
 * const s = await summarizeModel(model, encodeModel(model));
 * console.log(r.top1, s.params, s.macs);
 * ```
 */
export { SecateursError } from './errors.js';
export { Rng } from './util/rng.js';
export * from './ir/index.js';
export * from './onnx/index.js';
export * from './data/index.js';
export * from './zoo/index.js';
export * from './runtime/index.js';
export * from './metrics/index.js';
export { summarizeModel, type ModelSummary } from './report/summary.js';
export { runDemo, type DemoOptions, type DemoReport } from './pipeline/demo.js';
export * from './autodiff/index.js';
export * from './train/index.js';
export { runTraining, type TrainingJob, type TrainingReport } from './pipeline/train.js';
export {
  runPrune, RECOVER_METHODS, type PruneJob, type PruneMode, type PruneResult, type PruneSchedule, type RecoverMethod, type StructuredDetails,
} from './pipeline/prune.js';
export { measureModel, type Measurement, type MeasureOptions } from './report/measure.js';
export {
  parseRunRecord, readRunRecord, writeRunRecord, RUN_RECORD_FILE, RUN_RECORD_VERSION, RUN_STAGE_KINDS,
  type BlockedGroup, type LayerRow, type RunRecord, type RunStage, type SensitivityRef, type RunStageKind, type StageLatency, type StageMetrics, type StageModel,
} from './report/run-record.js';
export { blockedGroups, measuredStage, stageModel, toolInfo, type StageInput } from './report/run-stage.js';
export { buildRunReport, loadRunReport, stageFigures, RUN_REPORT_VERSION, type RunReport, type StageFigures } from './report/run-report.js';
export { renderRunCharts, type RunChart } from './report/charts.js';
export { renderRunHtml } from './report/html.js';
export { renderRunMarkdown } from './report/markdown.js';
export { writeRunReport, type WriteReportOptions, type WrittenReport } from './report/write.js';
export * from './prune/index.js';
export * from './prune/structure/index.js';
export {
  quantizeModel, QUANTIZE_MODES, calibrate, CALIBRATION_METHODS, inspectFusion, INTEGER_KERNELS, convertFp16, FP16_CPU_OPS,
  quantizeSymmetric, dequantize, symmetricParams, affineParams, qRange, roundHalfEven, intTensor, LAYER_RULES, DEFAULT_OP_TYPES,
  type QuantizeOptions, type QuantizeResult, type QuantizeMode, type QuantizedLayer, type SkippedLayer, type NodeFilter,
  type WeightType, type WeightOnlyFormat, type CalibrationMethod, type CalibrationOptions, type ActivationRange,
  type FusionReport, type Fp16Settings, type Fp16Summary, type QuantType, type QuantizedTensor, type ScaleZero, type SymmetricOptions,
} from './quantize/index.js';
export * from './export/index.js';
