/**
 * Quantization: dynamic and static int8 (QDQ, calibrated by min-max, percentile or entropy), float16, and weight-only
 * int8/int4, each producing a plain ONNX model that onnxruntime loads and fuses into integer kernels; plus the
 * inspection of what onnxruntime fused. Error codes (SecateursError): `QUANT_OPTIONS` (every bad option, listed
 * together, before any work), `QUANT_NOTHING`, `QUANT_CALIBRATION`, `QUANT_INVALID`.
 *
 * @example
 * ```ts
 * import { quantizeModel, inspectFusion } from './quantize/index.js';
 * const r = await quantizeModel(model, { mode: 'dynamic' });
 * (await inspectFusion(r.model)).fused;   // { DynamicQuantizeMatMul: 3 }
 * ```
 */
export { quantizeModel, QUANTIZE_MODES } from './quantize.js';
export type { NodeFilter, QuantizeOptions, QuantizeResult, QuantizedLayer, SkippedLayer, WeightOnlyFormat, WeightType } from './types.js';
export { calibrate, CALIBRATION_METHODS, type ActivationRange, type CalibrationMethod, type CalibrationOptions } from './calibrate.js';
export { entropyThreshold, MagnitudeHistogram, percentileThreshold } from './histogram.js';
export {
  affineParams, dequantize, intTensor, qRange, quantizeSymmetric, roundHalfEven, symmetricParams,
  type Granularity, type QRange, type QuantizedTensor, type QuantType, type ScaleZero, type SymmetricOptions,
} from './params.js';
export { DEFAULT_OP_TYPES, LAYER_RULES, layerRule, type LayerMode, type LayerRule, type QuantizeMode } from './rules.js';
export { excludes, selectTargets, type QuantTarget, type Selection } from './select.js';
export { planActivations, type ActivationGroup } from './static.js';
export { convertFp16, FP16_CPU_OPS, type Fp16Settings, type Fp16Summary } from './fp16.js';
export { inspectFusion, INTEGER_KERNELS, type FusionReport } from './fusion.js';
