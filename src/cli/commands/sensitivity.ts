import type { Command } from 'commander';
import { loadDataset, take } from '../../data/index.js';
import { allocateSparsity, analyzeSensitivity, writeSensitivity, type SensitivityResult } from '../../prune/index.js';
import { globals, wantProgress } from '../context.js';
import { loadModelArg, parseIntOption, parseNumberOption } from '../model-arg.js';
import { fmtNum, fmtPct, printJson, renderTable, type Io } from '../output.js';

/** `secateurs sensitivity MODEL --data mnist`: per-layer pruning sensitivity curves, chart and allocation. */
export function registerSensitivity(program: Command, io: Io): void {
  program
    .command('sensitivity')
    .description('prune one layer at a time at each level and measure the effect (labels or label-free KL); write JSON, CSV and an SVG chart')
    .argument('<model>', 'an .onnx file, or zoo:NAME')
    .requiredOption('--data <spec>', 'mnist, fashion-mnist, or an .npz file')
    .option('--split <name>', 'dataset split to measure on', 'test')
    .option('--limit <n>', 'use the first n samples', '2000')
    .option('--levels <list>', 'comma-separated sparsity levels', '0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.85,0.9,0.95')
    .option('--metric <m>', 'labels (accuracy/loss) | kl (label-free, vs the dense model) | both', 'both')
    .option('--workers <n>', 'worker threads, one onnxruntime session each', '2')
    .option('--cache <dir>', 'cache results here so a rerun computes only what is missing')
    .option('--out <dir>', 'write sensitivity.json, .csv and .svg here')
    .option('--target-sparsity <x>', 'also allocate per-layer sparsity reaching this global sparsity with the least predicted loss')
    .action(async (spec: string, opts: SensitivityCliOptions, cmd: Command) => {
      const g = globals(cmd);
      const loaded = await loadModelArg(spec);
      const data = take(await loadDataset(opts.data, opts.split), parseIntOption('--limit', opts.limit, 1));
      const metric = parseMetric(opts.metric);
      const result = await analyzeSensitivity(loaded.model, data, {
        levels: parseLevels(opts.levels), metric, workers: parseIntOption('--workers', opts.workers, 0, 16),
        progress: wantProgress(g), ...(opts.cache !== undefined ? { cacheDir: opts.cache } : {}),
      });
      const files = opts.out !== undefined ? await writeSensitivity(result, opts.out, { metric: metric === 'kl' ? 'kl' : 'top1' }) : undefined;
      const target = opts.targetSparsity !== undefined ? parseFraction('--target-sparsity', opts.targetSparsity) : undefined;
      const allocation = target !== undefined ? allocateSparsity(result, { kind: 'sparsity', value: target }) : undefined;
      if (g.json) printJson(io, { model: loaded.label, ...result, files, allocation });
      else io.out(formatSensitivity(result, allocation?.sparsities, io.isTty) + (files ? `\n\nwrote ${files.json}, ${files.csv}, ${files.svg}` : ''));
    });
}

interface SensitivityCliOptions {
  readonly data: string; readonly split: string; readonly limit: string; readonly levels: string; readonly metric: string;
  readonly workers: string; readonly cache?: string; readonly out?: string; readonly targetSparsity?: string;
}

const METRICS = ['labels', 'kl', 'both'] as const;

function parseMetric(text: string): (typeof METRICS)[number] {
  const m = METRICS.find((x) => x === text);
  if (!m) throw new RangeError(`'--metric' must be one of ${METRICS.join(', ')}, got '${text}'.`);
  return m;
}

function parseFraction(option: string, text: string): number {
  return parseNumberOption(option, text, { min: 0, max: 1, openMax: true });
}

function parseLevels(text: string): number[] {
  return text.split(',').map((s) => parseFraction('--levels', s.trim()));
}

/** One row per layer: the metric at every level (accuracy when measured, else KL). */
function formatSensitivity(r: SensitivityResult, allocated: Readonly<Record<string, number>> | undefined, isTty: boolean): string {
  const useAcc = r.rows.some((x) => x.top1 !== null);
  const cell = (layer: string, level: number): string => {
    const row = r.rows.find((x) => x.layer === layer && x.level === level);
    if (!row) return '-';
    return useAcc ? fmtPct(row.top1 ?? NaN) : fmtNum(row.kl ?? NaN);
  };
  const head = ['layer', ...r.levels.map((l) => `${Math.round(l * 100)}%`), ...(allocated ? ['allocated'] : [])];
  const rows = r.layers.map((layer) => [layer, ...r.levels.map((l) => cell(layer, l)), ...(allocated ? [fmtPct(allocated[layer] ?? 0)] : [])]);
  const title = `sensitivity (${useAcc ? 'top-1 accuracy' : 'KL divergence vs dense'}) on ${r.dataset.count} samples of ${r.dataset.name}/${r.dataset.split}` +
    (useAcc && r.dense.top1 !== null ? `; dense ${fmtPct(r.dense.top1)}` : '');
  return renderTable(title, head, rows, isTty);
}
