import type { Model } from '../ir/graph.js';
import type { ActivationRange, CalibrationOptions } from './calibrate.js';
import type { QuantizeMode } from './rules.js';

/** Nodes left alone: by exact node name, by a pattern on the name, or by op type. */
export interface NodeFilter {
  readonly names?: readonly string[];
  readonly patterns?: readonly RegExp[];
  readonly opTypes?: readonly string[];
}

/** Weight element type of int8 modes. */
export type WeightType = 'int8' | 'uint8';

/** How weight-only quantization is written. */
export type WeightOnlyFormat = 'qdq' | 'matmulnbits';

/**
 * Options of `quantizeModel`. Defaults are the accurate choices on the project's CPUs (AVX2 without VNNI), where
 * onnxruntime's u8·s8 kernels add pairs of products in 16 bits that saturate when weights use the full int8 range.
 */
export interface QuantizeOptions {
  readonly mode: QuantizeMode;
  /** 8 (default) or 4; 4 only with `weight-only`. */
  readonly bits?: number;
  /** One scale per output channel (default true): more accurate, and onnxruntime's fused kernels take it at no cost. */
  readonly perChannel?: boolean;
  /**
   * `int8` (zero point 0) or `uint8` (zero point 128); both symmetric, so a pruned (zero) weight stays exactly zero.
   * Applies to `dynamic` and `static` (`weight-only` computes in float and uses int8 / int4). Default: int8, except
   * dynamic Conv layers, which get uint8 (onnxruntime's ConvInteger ran 2.4–5x slower with int8 weights, measured).
   */
  readonly weightType?: WeightType;
  /**
   * int8 weights in [-63, 63] instead of [-127, 127] (`dynamic`, `static`). Default true for int8 weights: on AVX2
   * CPUs without VNNI, onnxruntime's u8·s8 kernels add pairs of products in 16 bits, which saturate with full-range
   * weights (measured on LeNet-5, static: 0.135 relative RMSE of the logits with the full range, 0.0066 reduced).
   */
  readonly reduceRange?: boolean;
  /** Op types to quantize; default per mode (`DEFAULT_OP_TYPES`). */
  readonly opTypes?: readonly string[];
  /** Nodes to leave in float. */
  readonly exclude?: NodeFilter;
  /** `static` only: the samples and method used to find activation ranges. */
  readonly calibration?: CalibrationOptions;
  /** `weight-only`: `matmulnbits` (com.microsoft MatMulNBits; the default for 4 bits) or `qdq` (DequantizeLinear; default for 8). */
  readonly format?: WeightOnlyFormat;
  /** `weight-only`: elements per block along the input dimension; default 32 for 4 bits, whole channels for 8. */
  readonly blockSize?: number;
  /** `fp16`: op types kept in float32 beyond those without a float16 kernel. */
  readonly keepFp32?: readonly string[];
}

/** One rewritten layer. */
export interface QuantizedLayer {
  readonly node: string;
  readonly opType: string;
  /** The weight initializer that was quantized. */
  readonly weight: string;
  /** How: e.g. 'int8 per-channel (axis 0), reduce-range', 'uint4 blocks of 32'. */
  readonly scheme: string;
}

/** A candidate layer left in float, with the reason. */
export interface SkippedLayer {
  readonly node: string;
  readonly opType: string;
  readonly reason: string;
}

/** What `quantizeModel` did. */
export interface QuantizeResult {
  /** The quantized model (a new model; the input is untouched). */
  readonly model: Model;
  readonly mode: QuantizeMode;
  readonly layers: readonly QuantizedLayer[];
  readonly skipped: readonly SkippedLayer[];
  /** `static`: the activation ranges used, in graph order. */
  readonly ranges: readonly ActivationRange[];
  /** `fp16`: nodes computing in float16, and nodes kept in float32 (op type → count). */
  readonly fp16?: { readonly float16Nodes: number; readonly float32Nodes: Readonly<Record<string, number>> };
}
