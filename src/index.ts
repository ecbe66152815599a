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
export { measureModel, type Measurement, type MeasureOptions } from './report/measure.js';
export * from './prune/index.js';
export * from './prune/structure/index.js';
