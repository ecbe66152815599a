/**
 * Writing sensitivity tables: JSON (the whole result, readable back), CSV (one row per cell, RFC 4180 quoting, empty
 * fields for metrics not measured) and an SVG line chart (metric vs sparsity, one line per layer) rendered
 * headless: vega-lite compiles the spec, a vega View with renderer 'none' draws it with `toSVG()` — no canvas.
 */
import { join } from 'node:path';
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { SecateursError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { SensitivityResult, SensitivityRow } from './sensitivity.js';

/** Metrics a chart can plot. */
export type ChartMetric = 'top1' | 'top5' | 'loss' | 'kl';

const COLUMNS = ['layer', 'level', 'top1', 'top5', 'loss', 'kl', 'params', 'pruned'] as const;

function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The table as CSV with a header line.
 *
 * @example
 * ```ts
 * sensitivityToCsv(result.rows).split('\n')[0];   // 'layer,level,top1,top5,loss,kl,params,pruned'
 * ```
 */
export function sensitivityToCsv(rows: readonly SensitivityRow[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of rows) lines.push(COLUMNS.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * The whole result as indented JSON.
 *
 * @example
 * ```ts
 * const again = sensitivityFromJson(sensitivityToJson(result));
 * ```
 */
export function sensitivityToJson(result: SensitivityResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/**
 * Reads a result written by {@link sensitivityToJson}.
 *
 * @throws SecateursError `PRUNE_BAD_INPUT` when the text is not such a result.
 */
export function sensitivityFromJson(text: string): SensitivityResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SecateursError('PRUNE_BAD_INPUT', `sensitivity JSON does not parse: ${(e as Error).message}`);
  }
  const r = raw as Partial<SensitivityResult> | null;
  const ok = r && Array.isArray(r.rows) && Array.isArray(r.layers) && Array.isArray(r.levels) &&
    r.rows.every((x) => typeof x.layer === 'string' && typeof x.level === 'number' && typeof x.params === 'number');
  if (!ok) throw new SecateursError('PRUNE_BAD_INPUT', 'not a sensitivity result (needs rows with layer, level and params, layers and levels).');
  return r as SensitivityResult;
}

/**
 * The vega-lite spec of the chart: `metric` against sparsity, one coloured line per layer.
 *
 * @example
 * ```ts
 * const spec = sensitivityChartSpec(result.rows, 'top1');
 * ```
 */
export function sensitivityChartSpec(rows: readonly SensitivityRow[], metric: ChartMetric, title = `Sensitivity: ${metric} vs sparsity`): TopLevelSpec {
  const values = rows.filter((r) => r[metric] !== null).map((r) => ({ layer: r.layer, level: r.level, value: r[metric] }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 480,
    height: 300,
    data: { values },
    mark: { type: 'line', point: false },
    encoding: {
      x: { field: 'level', type: 'quantitative', title: 'sparsity of the layer', scale: { domain: [0, 1] } },
      y: { field: 'value', type: 'quantitative', title: metric },
      color: { field: 'layer', type: 'nominal', title: 'layer' },
    },
  };
}

/**
 * Renders the chart to SVG text (headless; no canvas or browser).
 *
 * @throws SecateursError `PRUNE_BAD_INPUT` when no row has the metric (e.g. `top1` of a label-free sweep).
 * @example
 * ```ts
 * await writeFile('sensitivity.svg', await renderSensitivityChart(result.rows, 'kl'));
 * ```
 */
export async function renderSensitivityChart(rows: readonly SensitivityRow[], metric: ChartMetric = 'top1'): Promise<string> {
  if (!rows.some((r) => r[metric] !== null)) {
    throw new SecateursError('PRUNE_BAD_INPUT', `no sensitivity row has '${metric}'; was the sweep run with a metric that measures it?`);
  }
  const view = new View(parseVega(compile(sensitivityChartSpec(rows, metric)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Writes `<base>.json`, `<base>.csv` and `<base>.svg` into `dir` and returns their paths.
 *
 * @example
 * ```ts
 * await writeSensitivity(result, 'out', { metric: 'kl' });   // out/sensitivity.json, .csv, .svg (atomic; folder created)
 * ```
 */
export async function writeSensitivity(
  result: SensitivityResult, dir: string, opts: { readonly base?: string; readonly metric?: ChartMetric } = {},
): Promise<{ json: string; csv: string; svg: string }> {
  const base = join(dir, opts.base ?? 'sensitivity');
  const metric = opts.metric ?? (result.metric === 'kl' ? 'kl' : 'top1');
  const paths = { json: `${base}.json`, csv: `${base}.csv`, svg: `${base}.svg` };
  await writeFileAtomic(paths.json, sensitivityToJson(result));
  await writeFileAtomic(paths.csv, sensitivityToCsv(result.rows));
  await writeFileAtomic(paths.svg, await renderSensitivityChart(result.rows, metric));
  return paths;
}
