/**
 * What onnxruntime makes of a quantized model: it loads the model at an optimization level, writes the graph it will
 * run (session option `optimizedModelFilePath`), and reads it back. Fused integer kernels (QLinearConv, QGemm,
 * DynamicQuantizeMatMul, MatMulNBits...) show that the QDQ / integer patterns were recognised; Q → DQ pairs or
 * DequantizeLinear nodes still feeding float layers show where they were not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Model, Node } from '../ir/graph.js';
import { loadModel } from '../onnx/index.js';
import { createSession, type ModelSource, type OptimizationLevel } from '../runtime/index.js';

/** Integer and low-bit kernels a quantized model should end up running. */
export const INTEGER_KERNELS: readonly string[] = [
  'QLinearConv', 'QLinearMatMul', 'QGemm', 'QLinearConvTranspose', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul',
  'MatMulInteger', 'ConvInteger', 'MatMulNBits', 'QLinearAdd', 'QLinearMul', 'QLinearAveragePool', 'QLinearGlobalAveragePool',
];
const FLOAT_LAYERS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'FusedConv', 'FusedGemm', 'FusedMatMul']);

/** The optimized graph, summarized. */
export interface FusionReport {
  readonly optimization: OptimizationLevel;
  /** Node counts by op type ('domain.Op' outside ai.onnx), sorted by name. */
  readonly ops: Readonly<Record<string, number>>;
  /** Integer kernels present, by op type. */
  readonly fused: Readonly<Record<string, number>>;
  readonly quantizeLinear: number;
  readonly dequantizeLinear: number;
  /** Float layers (Conv, Gemm, MatMul...) still in the graph, by node name. */
  readonly floatLayers: readonly string[];
  /** Q/DQ left around layers: Q → DQ pairs, activation DQ feeding a float layer, a float layer between DQ and Q. */
  readonly dangling: readonly string[];
  /** DequantizeLinear on constant weights feeding float layers (expected for weight-only `qdq`, a miss otherwise). */
  readonly weightDequantize: readonly string[];
}

/**
 * Loads `model` in onnxruntime at `optimization` (default `extended`, where QDQ fusion starts) and describes the graph
 * it runs.
 *
 * @example
 * ```ts
 * const r = await inspectFusion(quantized.model);
 * r.fused;      // { QLinearConv: 2, QGemm: 2 }
 * r.dangling;   // []
 * ```
 */
export async function inspectFusion(model: ModelSource, opts: { optimization?: OptimizationLevel } = {}): Promise<FusionReport> {
  const optimization = opts.optimization ?? 'extended';
  const dir = await mkdtemp(join(tmpdir(), 'secateurs-fusion-'));
  try {
    const file = join(dir, 'optimized.onnx');
    const s = await createSession(model, { optimization, optimizedModelPath: file });
    await s.release();
    return describe(await loadModel(file), optimization);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function describe(m: Model, optimization: OptimizationLevel): FusionReport {
  const ops: Record<string, number> = {};
  const fused: Record<string, number> = {};
  for (const n of m.graph.nodes) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    ops[key] = (ops[key] ?? 0) + 1;
    if (INTEGER_KERNELS.includes(n.opType)) fused[n.opType] = (fused[n.opType] ?? 0) + 1;
  }
  const isQ = (n: Node): boolean => n.opType === 'QuantizeLinear';
  const isDq = (n: Node): boolean => n.opType === 'DequantizeLinear';
  const isLayer = (n: Node): boolean => FLOAT_LAYERS.has(n.opType);
  const consumers = (n: Node): Node[] => n.outputs.flatMap((v) => (v ? v.consumers : []));
  const dangling: string[] = [];
  const weightDequantize: string[] = [];
  for (const n of m.graph.nodes) {
    if (isQ(n)) for (const c of consumers(n).filter(isDq)) dangling.push(`QuantizeLinear '${n.name}' → DequantizeLinear '${c.name}' pair left`);
    if (isDq(n)) {
      const constant = n.input(0)?.constant !== undefined;
      for (const c of consumers(n).filter(isLayer)) {
        (constant ? weightDequantize : dangling).push(`DequantizeLinear '${n.name}' feeds float ${c.opType} '${c.name}'`);
      }
    }
    const fromDq = n.inputs.some((v) => v?.producer !== undefined && isDq(v.producer));
    if (isLayer(n) && fromDq) for (const c of consumers(n).filter(isQ)) dangling.push(`float ${n.opType} '${n.name}' between DequantizeLinear and QuantizeLinear '${c.name}'`);
  }
  return {
    optimization,
    ops: Object.fromEntries(Object.entries(ops).sort(([a], [b]) => a.localeCompare(b))),
    fused,
    quantizeLinear: ops['QuantizeLinear'] ?? 0,
    dequantizeLinear: ops['DequantizeLinear'] ?? 0,
    floatLayers: m.graph.nodes.filter(isLayer).map((n) => n.name),
    dangling,
    weightDequantize,
  };
}
