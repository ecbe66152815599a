/**
 * The runtime module: the only place that imports onnxruntime-node. Sessions (with symbolic dims pinned in the graph),
 * batched evaluation, activation capture and shape probing, latency benchmarks, output comparison, progress display.
 *
 * @example
 * ```ts
 * import { createSession, evaluate, compareModels } from './runtime/index.js';
 * const r = await evaluate(model, testSet, { batchSize: 256 });
 * ```
 */
export {
  createSession, dimParams, fixDims, withSession, Session,
  type IOInfo, type ModelSource, type OptimizationLevel, type SessionOptions,
} from './session.js';
export { fillTensor, floatData, numel, type Feeds, type TensorData } from './tensors.js';
export { evaluate, type EvaluateOptions, type EvaluateResult, type LabelledSource } from './evaluate.js';
export {
  captureActivations, exposeValues, fillerFeeds, probeShapes,
  type CaptureBatch, type CaptureOptions, type ProbedShape, type ProbeOptions,
} from './capture.js';
export { benchLatency, percentile, type BenchOptions, type LatencyStats } from './bench.js';
export { compareModels, type CompareOptions, type CompareResult } from './compare.js';
export {
  createProgress, formatDuration, formatLine, formatRate, resolveProgress, SILENT,
  type Progress, type ProgressMode, type ProgressOptions, type ProgressStream,
} from './progress.js';
export { argmax, cosine, crossEntropy, klDivergence, labelRank, logSumExp } from './logits.js';
export type { InputLayout, SampleSource } from './batching.js';
