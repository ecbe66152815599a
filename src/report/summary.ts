import type { DataType } from '../ir/dtype.js';
import type { Dim, Model } from '../ir/graph.js';
import { fileSizes, modelStats, type LayerStats } from '../metrics/index.js';

/** A model's vital statistics: what `inspect` prints and every before/after report compares. */
export interface ModelSummary {
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly producer: string;
  readonly inputs: readonly { readonly name: string; readonly dtype: DataType | undefined; readonly shape: readonly Dim[] }[];
  readonly outputs: readonly { readonly name: string; readonly dtype: DataType | undefined; readonly shape: readonly Dim[] }[];
  readonly nodeCount: number;
  readonly ops: readonly { readonly opType: string; readonly count: number }[];
  readonly params: number;
  readonly nonzeroParams: number;
  /** Batch size the MACs are counted at. */
  readonly batch: number;
  readonly macs: number;
  /** MACs with each weight layer scaled by its density (ShrinkBench's theoretical-speedup denominator). */
  readonly nonzeroMacs: number;
  readonly fileBytes: number;
  readonly gzipBytes: number;
  readonly layers: readonly LayerStats[];
  /** Values whose shapes could not be determined (their layers' MACs are not counted). */
  readonly unknownShapes: readonly string[];
}

/**
 * Summarizes a model: I/O, operators, parameters and sparsity, MACs at a batch size, raw and gzip file size.
 *
 * @example
 * ```ts
 * const s = await summarizeModel(model, encodeModel(model), { batch: 1 });
 * console.log(s.params, s.macs, s.gzipBytes);
 * ```
 */
export async function summarizeModel(model: Model, bytes: Uint8Array, opts: { batch?: number } = {}): Promise<ModelSummary> {
  const batch = opts.batch ?? 1;
  const stats = await modelStats(model, { shapes: 'auto', batch });
  const sizes = fileSizes(bytes);
  const g = model.graph;
  const counts = new Map<string, number>();
  for (const n of g.nodes) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const io = (v: { name: string; dtype: DataType | undefined; shape: Dim[] | undefined }) => ({ name: v.name, dtype: v.dtype, shape: v.shape ?? [] });
  const initNames = new Set(g.initializers.map((v) => v.name));
  return {
    opsets: [...model.opsets].map(([domain, version]) => ({ domain, version })),
    producer: [model.producerName, model.producerVersion].filter((s) => s).join(' '),
    inputs: g.inputs.filter((v) => !initNames.has(v.name)).map(io),
    outputs: g.outputs.map(io),
    nodeCount: g.nodes.length,
    ops: [...counts].map(([opType, count]) => ({ opType, count })).sort((a, b) => b.count - a.count || a.opType.localeCompare(b.opType)),
    params: stats.params,
    nonzeroParams: stats.nonzeroParams,
    batch,
    macs: stats.macs,
    nonzeroMacs: stats.nonzeroMacs,
    fileBytes: sizes.raw,
    gzipBytes: sizes.gzip,
    layers: stats.layers,
    unknownShapes: stats.unknownShapes,
  };
}
