/**
 * ShrinkBench's numbers for a pruned model (Blalock et al. 2020): compression ratio = all parameters / nonzero
 * parameters and theoretical speedup = MACs / nonzero MACs (each layer's MACs scaled by its weight's density), both
 * from `metrics.modelStats`, plus a per-layer table of the prunable weights.
 */
import type { Model } from '../ir/graph.js';
import { countNonzero, modelStats, type ModelStatsOptions } from '../metrics/index.js';
import { findTargets, targetTensor } from './targets.js';

/** One prunable weight in a report. */
export interface PruneLayerReport {
  readonly name: string;
  readonly opType: string;
  readonly nodes: readonly string[];
  readonly shape: readonly number[];
  readonly params: number;
  readonly nonzero: number;
  readonly sparsity: number;
  /** MACs of every node reading the weight (per sample with the default batch of 1). */
  readonly macs: number;
  readonly nonzeroMacs: number;
}

/** Whole-model and per-layer pruning statistics. */
export interface PruneReport {
  /** All parameters (weights and biases, prunable or not). */
  readonly params: number;
  readonly nonzeroParams: number;
  /** params / nonzeroParams. */
  readonly compressionRatio: number;
  readonly macs: number;
  readonly nonzeroMacs: number;
  /** macs / nonzeroMacs. */
  readonly theoreticalSpeedup: number;
  readonly layers: readonly PruneLayerReport[];
}

/**
 * The report of a (pruned) model.
 *
 * @example
 * ```ts
 * const r = await pruneReport(applyMasks(model, plan));
 * console.log(r.compressionRatio.toFixed(1), r.theoreticalSpeedup.toFixed(1));
 * console.log(formatPruneReport(r));
 * ```
 */
export async function pruneReport(model: Model, opts: ModelStatsOptions = {}): Promise<PruneReport> {
  const stats = await modelStats(model, opts);
  const macsByNode = new Map(stats.layers.map((l) => [l.node, l.macs]));
  const layers = findTargets(model).map((t): PruneLayerReport => {
    const nonzero = countNonzero(targetTensor(model.graph, t));
    const macs = t.nodes.reduce((a, n) => a + (macsByNode.get(n) ?? 0), 0);
    return {
      name: t.name, opType: t.opType, nodes: t.nodes, shape: t.shape, params: t.size, nonzero,
      sparsity: t.size > 0 ? 1 - nonzero / t.size : 0, macs, nonzeroMacs: t.size > 0 ? (macs * nonzero) / t.size : macs,
    };
  });
  return {
    params: stats.params,
    nonzeroParams: stats.nonzeroParams,
    compressionRatio: stats.compressionRatio,
    macs: stats.macs,
    nonzeroMacs: stats.nonzeroMacs,
    theoreticalSpeedup: stats.theoreticalSpeedup,
    layers,
  };
}

/**
 * Dense MACs per prunable weight (summed over the nodes sharing it), for MAC targets of `allocateSparsity`.
 *
 * @example
 * ```ts
 * await layerMacs(buildZooModel('lenet-300-100'));   // { 'fc1/weight': 235200, 'fc2/weight': 30000, 'fc3/weight': 1000 }
 * ```
 */
export async function layerMacs(model: Model, opts: ModelStatsOptions = {}): Promise<Record<string, number>> {
  const r = await pruneReport(model, opts);
  return Object.fromEntries(r.layers.map((l) => [l.name, l.macs]));
}

const COLUMNS: readonly { readonly title: string; readonly cell: (l: PruneLayerReport) => string }[] = [
  { title: 'layer', cell: (l) => l.name },
  { title: 'op', cell: (l) => l.opType },
  { title: 'shape', cell: (l) => `[${l.shape.join('x')}]` },
  { title: 'params', cell: (l) => String(l.params) },
  { title: 'nonzero', cell: (l) => String(l.nonzero) },
  { title: 'sparsity', cell: (l) => `${(100 * l.sparsity).toFixed(1)}%` },
  { title: 'MACs', cell: (l) => String(l.macs) },
];

/**
 * A plain-text table of the report: one line per layer, then the totals.
 *
 * @example
 * ```ts
 * formatPruneReport(report).split('\n')[0];   // 'layer       op    shape  params ...'
 * ```
 */
export function formatPruneReport(r: PruneReport): string {
  const cells = r.layers.map((l) => COLUMNS.map((c) => c.cell(l)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string => row.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [
    line(COLUMNS.map((c) => c.title)),
    ...cells.map(line),
    `params ${r.nonzeroParams}/${r.params} nonzero, compression ${r.compressionRatio.toFixed(2)}x; ` +
      `MACs ${Math.round(r.nonzeroMacs)}/${r.macs} nonzero, theoretical speedup ${r.theoreticalSpeedup.toFixed(2)}x`,
  ].join('\n');
}
