/**
 * The report's charts as vega-lite specs, rendered to SVG headless (vega View with renderer 'none', `toSVG()`): the
 * same chart library the sensitivity command uses. vega escapes every text it draws, so names from a record are safe
 * inside the SVG.
 */
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ChartMetric } from '../prune/sensitivity-output.js';
import type { RunReport } from './run-report.js';
import type { RunStage } from './run-record.js';

/** One rendered chart. */
export interface RunChart {
  /** Stable id, also the file name stem of the SVG written beside report.md. */
  readonly id: 'tradeoff' | 'relative' | 'sensitivity-top1' | 'sensitivity-kl' | 'sparsity' | 'channels';
  readonly title: string;
  /** One sentence saying what the chart shows (alt text, caption). */
  readonly caption: string;
  readonly svg: string;
}

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: '#e5e7eb' },
  axis: { labelColor: '#374151', titleColor: '#111827', gridColor: '#eef2f7', domainColor: '#9ca3af', tickColor: '#9ca3af', labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 280, labelColor: '#374151', titleColor: '#111827' },
  title: { fontSize: 14, fontWeight: 600, anchor: 'start', color: '#111827', subtitleColor: '#4b5563', subtitleFontSize: 12 },
} as const;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** The original model is grey; later stages take the Tableau 10 colours in order. */
const STAGE_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#ff9da6'];

/** The colour encoding of stages, the same in every chart; `laterOnly` leaves the original out of the legend. */
function stageColor(stages: readonly RunStage[], laterOnly = false): { field: string; type: 'nominal'; title: string; scale: { domain: string[]; range: string[] } } {
  const shown = stages.map((s, i) => ({ name: s.name, color: i === 0 ? '#9ca3af' : STAGE_COLORS[(i - 1) % STAGE_COLORS.length]! })).slice(laterOnly ? 1 : 0);
  return { field: 'stage', type: 'nominal', title: 'stage', scale: { domain: shown.map((s) => s.name), range: shown.map((s) => s.color) } };
}

/** Renders a vega-lite spec to SVG text, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parseVega(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The largest batch size every stage was timed at, if above 1. */
export function largestBatch(stages: readonly RunStage[]): number | undefined {
  const common = (stages[0]?.metrics.latency ?? []).map((l) => l.batch).filter((b) => stages.every((s) => s.metrics.latency.some((l) => l.batch === b)));
  const n = Math.max(0, ...common);
  return n > 1 ? n : undefined;
}

const latencyOf = (s: RunStage, batch: number): number | undefined => s.metrics.latency.find((l) => l.batch === batch)?.medianMs;

/** Top-1 against gzip size and latency (batch 1 and N), one point per stage joined in stage order. */
export function tradeoffSpec(report: RunReport): TopLevelSpec | undefined {
  const stages = report.record.stages;
  const evaluated = stages.filter((s) => s.metrics.top1 !== undefined);
  if (evaluated.length === 0) return undefined;
  const n = largestBatch(stages);
  const values = evaluated.map((s) => ({
    stage: s.name, order: stages.indexOf(s), top1: s.metrics.top1, gzipKiB: s.metrics.gzipBytes / 1024,
    lat1: latencyOf(s, 1) ?? null, latN: n !== undefined ? latencyOf(s, n) ?? null : null,
  }));
  const panels: [string, string][] = [['gzipKiB', 'gzip size (KiB)']];
  if (evaluated.every((s) => latencyOf(s, 1) !== undefined)) panels.push(['lat1', 'latency, batch 1 (ms, median)']);
  if (n !== undefined) panels.push(['latN', `latency, batch ${n} (ms, median)`]);
  const color = stageColor(stages);
  return {
    $schema: SCHEMA,
    config: CONFIG,
    data: { values },
    hconcat: panels.map(([field, title], i) => {
      const x = { field, type: 'quantitative' as const, title, scale: { zero: true } };
      const y = { field: 'top1', type: 'quantitative' as const, title: i === 0 ? 'top-1 accuracy' : null, scale: { zero: false }, axis: { format: '.1%' } };
      return {
        width: 230, height: 200,
        layer: [
          { mark: { type: 'line' as const, color: '#cbd5e1', strokeWidth: 1.5 }, encoding: { x, y, order: { field: 'order', type: 'quantitative' as const } } },
          { mark: { type: 'point' as const, filled: true, size: 110, opacity: 1 }, encoding: { x, y, color } },
        ],
      };
    }),
  };
}

/** Each later stage's nonzero parameters, nonzero MACs, sizes and latencies over the original's. */
export function relativeSpec(report: RunReport): TopLevelSpec | undefined {
  const stages = report.record.stages;
  if (stages.length < 2) return undefined;
  const n = largestBatch(stages);
  const metrics = ['nonzero params', 'nonzero MACs', 'file size', 'gzip size', 'latency, batch 1', ...(n !== undefined ? [`latency, batch ${n}`] : [])];
  const values = report.figures.slice(1).flatMap((f) => {
    const v = f.vsOriginal;
    const lat = (b: number): number | undefined => v.latency.find((l) => l.batch === b)?.ratio;
    const ratios = [v.nonzero, v.nonzeroMacs, v.bytes, v.gzipBytes, lat(1), ...(n !== undefined ? [lat(n)] : [])];
    return metrics.flatMap((metric, i) => (ratios[i] !== undefined && Number.isFinite(ratios[i]) ? [{ stage: f.name, metric, ratio: ratios[i] }] : []));
  });
  return {
    $schema: SCHEMA,
    config: CONFIG,
    width: 620,
    height: 240,
    layer: [
      {
        data: { values },
        mark: { type: 'bar', cornerRadiusEnd: 2 },
        encoding: {
          x: { field: 'metric', type: 'nominal', title: null, sort: metrics, axis: { labelAngle: 0 } },
          xOffset: { field: 'stage', sort: stages.slice(1).map((s) => s.name) },
          y: { field: 'ratio', type: 'quantitative', title: 'stage / original' },
          color: stageColor(stages, true),
        },
      },
      { data: { values: [{ one: 1 }] }, mark: { type: 'rule', color: '#111827', strokeDash: [4, 3] }, encoding: { y: { field: 'one', type: 'quantitative' } } },
    ],
  };
}

/** Horizontal bars per layer, one per stage: `field` of each layer row. */
function layerBarsSpec(report: RunReport, field: 'sparsity' | 'channels'): TopLevelSpec | undefined {
  const stages = report.record.stages;
  const values = stages.flatMap((s) => s.layers.flatMap((l) => {
    const v = field === 'sparsity' ? (l.params > 0 ? l.sparsity : undefined) : l.channelsAfter;
    return v === undefined ? [] : [{ stage: s.name, layer: l.name, value: v }];
  }));
  if (values.length === 0) return undefined;
  const layers = [...new Set(values.map((v) => v.layer))];
  return {
    $schema: SCHEMA,
    config: CONFIG,
    width: 520,
    height: Math.max(120, layers.length * (stages.length * 10 + 12)),
    data: { values },
    mark: { type: 'bar', cornerRadiusEnd: 2 },
    encoding: {
      y: { field: 'layer', type: 'nominal', title: null, sort: layers, axis: { labelLimit: 240 } },
      yOffset: { field: 'stage', sort: stages.map((s) => s.name) },
      x: field === 'sparsity'
        ? { field: 'value', type: 'quantitative', title: 'sparsity (share of weights that are zero)', scale: { domain: [0, 1] }, axis: { format: '.0%' } }
        : { field: 'value', type: 'quantitative', title: 'output channels' },
      color: stageColor(stages),
    },
  };
}

const METRIC_TITLE: Record<ChartMetric, string> = { top1: 'top-1 accuracy', top5: 'top-5 accuracy', loss: 'loss', kl: 'KL divergence from the dense model' };

/** Sensitivity curves (one line per layer) with each layer's allocated sparsity as a dashed rule. */
export function sensitivitySpec(report: RunReport, metric: 'top1' | 'kl'): TopLevelSpec | undefined {
  const s = report.sensitivity;
  const rows = s?.result.rows.filter((r) => r[metric] !== null) ?? [];
  if (!s || rows.length === 0) return undefined;
  const alloc = Object.entries(s.allocation ?? {}).filter(([l]) => s.result.layers.includes(l)).map(([layer, level]) => ({ layer, level }));
  const x = { field: 'level', type: 'quantitative' as const, title: 'sparsity of the layer', scale: { domain: [0, 1] }, axis: { format: '.0%' } };
  const color = { field: 'layer', type: 'nominal' as const, title: 'layer', sort: s.result.layers };
  return {
    $schema: SCHEMA,
    config: CONFIG,
    width: 520,
    height: 300,
    layer: [
      {
        data: { values: rows.map((r) => ({ layer: r.layer, level: r.level, value: r[metric] })) },
        mark: { type: 'line', point: { filled: true, size: 36 } },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: METRIC_TITLE[metric], scale: { zero: false }, ...(metric === 'top1' ? { axis: { format: '.0%' } } : {}) }, color },
      },
      ...(alloc.length > 0 ? [{ data: { values: alloc }, mark: { type: 'rule' as const, strokeDash: [4, 3], strokeWidth: 1.5 }, encoding: { x, color } }] : []),
    ],
  };
}

/**
 * Renders every chart the report has data for, in page order.
 *
 * @example
 * ```ts
 * const charts = await renderRunCharts(await loadRunReport('runs/demo'));
 * charts.map((c) => c.id);   // ['tradeoff', 'relative', 'sensitivity-top1', 'sparsity', 'channels']
 * ```
 */
export async function renderRunCharts(report: RunReport): Promise<RunChart[]> {
  const n = largestBatch(report.record.stages);
  const candidates: [RunChart['id'], string, string, TopLevelSpec | undefined][] = [
    ['tradeoff', 'Accuracy against size and latency', `Top-1 accuracy of each stage against its gzip size and median latency (batch 1${n !== undefined ? ` and ${n}` : ''}); the grey line joins the stages in order.`, tradeoffSpec(report)],
    ['relative', 'Relative to the original model', 'Each stage\u2019s nonzero parameters, nonzero MACs, file and gzip size and latency divided by the original\u2019s; below the dashed line is smaller or faster.', relativeSpec(report)],
    ['sensitivity-top1', 'Sensitivity: top-1 accuracy', 'Top-1 accuracy with one layer pruned at a time, by that layer\u2019s sparsity; dashed rules mark the sparsity allocated to each layer.', sensitivitySpec(report, 'top1')],
    ['sensitivity-kl', 'Sensitivity: KL divergence', 'KL divergence of the outputs from the dense model with one layer pruned at a time; dashed rules mark the allocated sparsity.', sensitivitySpec(report, 'kl')],
    ['sparsity', 'Sparsity per layer', 'Share of each layer\u2019s parameters that are zero, after each stage.', layerBarsSpec(report, 'sparsity')],
    ['channels', 'Channels per layer', 'Output channels (features) of each layer after each stage; structured pruning removes channels, unstructured pruning keeps them.', layerBarsSpec(report, 'channels')],
  ];
  const out: RunChart[] = [];
  for (const [id, title, caption, spec] of candidates) if (spec) out.push({ id, title, caption, svg: scopeIds(await renderSvg(spec), id) });
  return out;
}

/** Prefixes the SVG's element ids (vega's clip paths) so that several charts inlined in one page cannot collide. */
export function scopeIds(svg: string, prefix: string): string {
  return svg.replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`);
}
