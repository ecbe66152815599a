import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  renderSensitivityChart, sensitivityFromJson, sensitivityToCsv, sensitivityToJson, writeSensitivity,
  type SensitivityResult, type SensitivityRow,
} from '../../src/prune/index.js';
import { xmlTags } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'secateurs-sens-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (layer: string, level: number, top1: number | null, kl: number | null): SensitivityRow =>
  ({ layer, level, top1, top5: top1, loss: top1 === null ? null : 1 - top1, kl, params: 100, pruned: Math.round(level * 100) });
const layers = ['fc1/weight', 'odd,"name"', 'fc3/weight'];
const rows = layers.flatMap((l, i) => [0, 0.5, 0.9].map((lv) => row(l, lv, 0.9 - lv * (i + 1) * 0.1, lv === 0.5 && i === 2 ? null : lv * 0.01)));
const result: SensitivityResult = {
  rows, dense: { top1: 0.9, top5: 0.9, loss: 0.1 }, layers, levels: [0, 0.5, 0.9], metric: 'both', criterion: 'magnitude',
  dataset: { name: 'mnist', split: 'test', count: 500 }, computed: 9, cached: 0, cachePath: undefined,
};

/** The line marks of a vega SVG: one <g class="mark-line role-mark ..."> per series, holding its <path>s. */
function linePaths(svg: string): number[] {
  return [...svg.matchAll(/<g class="mark-line role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].map((m) => (m[1]!.match(/<path\b/g) ?? []).length);
}

describe('sensitivity output', () => {
  it('writes CSV with a header, RFC 4180 quoting and empty fields for unmeasured metrics', () => {
    const lines = sensitivityToCsv(rows).trimEnd().split('\n');
    expect(lines[0]).toBe('layer,level,top1,top5,loss,kl,params,pruned');
    expect(lines).toHaveLength(10);
    expect(lines[4]).toBe('"odd,""name""",0,0.9,0.9,0.09999999999999998,0,100,0');
    expect(lines[8]).toBe('fc3/weight,0.5,0.75,0.75,0.25,,100,50');
  });

  it('writes JSON that reads back equal', () => {
    expect(sensitivityFromJson(sensitivityToJson(result))).toEqual(result);
    expect(() => sensitivityFromJson('{"rows": 3}')).toThrow(/not a sensitivity result/);
  });

  it('renders a well-formed SVG line chart with one line per layer, headless', async () => {
    const svg = await renderSensitivityChart(rows, 'top1');
    const tags = xmlTags(svg);
    expect(tags[0]).toBe('svg');
    expect(linePaths(svg)).toEqual([1, 1, 1]);
    expect(svg).toContain('fc3/weight');
    await expect(renderSensitivityChart(rows.map((r) => ({ ...r, kl: null })), 'kl')).rejects.toThrow(/no sensitivity row has 'kl'/);
  });

  it('writes the three files together', async () => {
    const paths = await writeSensitivity(result, dir, { base: 'lenet', metric: 'kl' });
    expect(paths.svg).toBe(join(dir, 'lenet.svg'));
    expect(readFileSync(paths.csv, 'utf8')).toBe(sensitivityToCsv(rows));
    expect(linePaths(readFileSync(paths.svg, 'utf8'))).toHaveLength(3);
  });
});
