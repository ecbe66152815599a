/**
 * The latency lookup table: its structure, interpolation, prediction and cache, and that the planner meets its
 * predicted target. Nothing here asserts a measured time (2 shared cores are too noisy); the measured check of a
 * latency target is bench/structured-latency.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecateursError } from '../../../src/errors.js';
import {
  applyStructuredPlan, buildDependencyGraph, interpolate, planByRatio, latencyKey, latencyTable, layerMs, measureLatency, measureLatencyTable,
  planMacs, planToTarget, predictLatency, scoreGroups, type DependencyGraph, type LatencyTable, type LayerTiming,
} from '../../../src/prune/structure/index.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { randomPlan } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'secateurs-latency-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('interpolation', () => {
  it('piecewise linear, clamped (TSDoc examples)', () => {
    expect(interpolate([8, 16, 32], [1, 2, 6], 24)).toBe(4);
    expect(interpolate([8, 16, 32], [1, 2, 6], 4)).toBe(1);
    expect(interpolate([8, 16, 32], [1, 2, 6], 40)).toBe(6);
    expect(interpolate([8], [3], 5)).toBe(3);
    expect(() => interpolate([1, 2], [1], 1)).toThrow(RangeError);
  });

  it('a bilinear function of (cin, cout) is reproduced exactly between grid points', () => {
    const f = (i: number, o: number): number => 0.1 + 0.02 * i + 0.03 * o + 0.001 * i * o;
    const ins = [8, 16, 32];
    const outs = [4, 12, 20, 40];
    const t: LayerTiming = {
      node: 'n', opType: 'Conv', kind: 'grid', input: { value: 'x', axis: 1 }, output: { value: 'y', axis: 1 }, inChannels: 32, outChannels: 40,
      inPoints: ins, outPoints: outs, ms: ins.map((i) => outs.map((o) => f(i, o))),
    };
    for (const [i, o] of [[8, 4], [10, 5], [20, 33], [31, 39], [32, 40]] as const) expect(layerMs(t, i, o)).toBeCloseTo(f(i, o), 12);
    const coupled: LayerTiming = { ...t, kind: 'coupled', inPoints: [8, 16], outPoints: [8, 16], ms: [[1, 3]] };
    expect(layerMs(coupled, 12, 12)).toBe(2);
  });
});

/** A table whose layer times are proportional to the layers' MACs: the prediction must then follow MACs exactly. */
function macTable(dg: DependencyGraph, denseMs: number): LatencyTable {
  const layers: LayerTiming[] = [];
  for (const n of dg.model.graph.nodes) {
    if (n.opType !== 'Conv' && n.opType !== 'Gemm') continue;
    const x = n.input(0)!;
    const y = n.output(0)!;
    const w = n.input(1)!.constant!.dims;
    const spatial = (y.shape ?? []).slice(2).reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
    const k = w.slice(2).reduce((a, b) => a * b, 1);
    const [cin, cout] = n.opType === 'Conv' ? [w[1]!, w[0]!] : [w[1]!, w[0]!];
    const ins = [cin / 2, cin];
    const outs = [cout / 2, cout];
    layers.push({
      node: n.name, opType: n.opType, kind: 'grid', input: { value: x.name, axis: 1 }, output: { value: y.name, axis: 1 }, inChannels: cin, outChannels: cout,
      inPoints: ins, outPoints: outs, ms: ins.map((i) => outs.map((o) => i * o * k * spatial * 1e-6)),
    });
  }
  return { format: 'secateurs/latency-table', version: 1, key: { model: 'synthetic', threads: 1, batch: 1 }, denseMs, overheadMs: 0, layers };
}

describe('predictLatency', () => {
  const model = buildZooModel('lenet5');
  const dg = buildDependencyGraph(model);
  const table = macTable(dg, 2.5);

  it('predicts the measured dense time for the dense plan, and the MAC fraction for MAC-proportional layer times', () => {
    expect(predictLatency(table, dg, { groups: [] })).toEqual({ ms: 2.5, fraction: 1 });
    const macs = planMacs(dg);
    // Plans inside the measured grid (at most half of each group removed), where interpolation is exact.
    for (const seed of [1, 2, 3]) {
      const plan = randomPlan(dg, seed, 0.4);
      expect(predictLatency(table, dg, plan).fraction).toBeCloseTo(macs.of(plan) / macs.dense, 9);
    }
  });

  it('the planner meets its predicted latency target', () => {
    const scores = scoreGroups(dg, { criterion: 'l2' });
    for (const keep of [0.9, 0.6, 0.4]) {
      const r = planToTarget(dg, scores, { cost: (p) => predictLatency(table, dg, p).ms, target: keep * table.denseMs });
      expect(r.reached).toBe(true);
      expect(predictLatency(table, dg, r.plan).fraction).toBeLessThanOrEqual(keep);
      expect(predictLatency(table, dg, planByRatio(dg, scores, { ratio: r.ratio - 1e-3 })).fraction).toBeGreaterThan(keep);
    }
  });

  it('names the layers of a table from another model', () => {
    const other = buildDependencyGraph(buildZooModel('lenet-300-100'));
    expect(() => predictLatency(table, other, { groups: [] })).toThrow(/names layer\(s\) 'conv1\/Conv'.* the model does not have/);
  });
});

describe('measured tables', () => {
  const model = buildZooModel('lenet5');
  const dg = buildDependencyGraph(model);
  const fast = { runs: 3, warmup: 1, fractions: [0.5] };

  it('time every linear layer at the grid points a group can reach', async () => {
    const t = await measureLatencyTable(model, dg, { ...fast, roundTo: 8 });
    expect(t.key).toEqual(latencyKey(model));
    expect(t.key.model).toMatch(/^[0-9a-f]{64}$/);
    expect(t.denseMs).toBeGreaterThan(0);
    expect(t.layers.map((l) => [l.node, l.kind, l.inPoints, l.outPoints])).toEqual([
      ['conv1/Conv', 'grid', [1], [8, 20]],          // the input image is not prunable
      ['conv2/Conv', 'grid', [8, 20], [24, 50]],
      ['fc1/Gemm', 'grid', [400, 800], [248, 500]],  // 16 features per conv2 channel: 400 = 25 channels
      ['fc2/Gemm', 'grid', [248, 500], [10]],        // the logits are not prunable
    ]);
    for (const l of t.layers) {
      expect(l.ms).toHaveLength(l.inPoints.length);
      for (const row of l.ms) { expect(row).toHaveLength(l.outPoints.length); for (const v of row) expect(v).toBeGreaterThanOrEqual(0); }
    }
    const pruned = applyStructuredPlan(model, randomPlan(dg, 1, 0.5), { graph: dg });
    const check = await measureLatency(model, pruned, { runs: 6, rounds: 2 });
    expect(check.fraction).toBeCloseTo(check.prunedMs / check.denseMs, 12);
  });

  it('are cached in a JSON file keyed by model hash, threads and batch', async () => {
    const cache = join(dir, 'latency.json');
    const a = await latencyTable(model, dg, { ...fast, cache });
    expect(a.cached).toBe(false);
    expect(existsSync(cache)).toBe(true);
    const b = await latencyTable(model, dg, { ...fast, cache });
    expect(b).toEqual({ table: a.table, cached: true });
    const c = await latencyTable(model, dg, { ...fast, cache, batch: 2 });
    expect(c.cached).toBe(false);
    expect(c.table.key.batch).toBe(2);
    const file = JSON.parse(readFileSync(cache, 'utf8')) as { format: string; tables: LatencyTable[] };
    expect(file.format).toBe('secateurs/latency-cache');
    expect(file.tables.map((t) => t.key.batch)).toEqual([1, 2]);
    const other = buildZooModel('lenet5', { seed: 1 });
    expect(latencyKey(other).model).not.toBe(a.table.key.model);
    writeFileSync(join(dir, 'bad.json'), '{"format":"something else"}');
    const err = await latencyTable(model, dg, { ...fast, cache: join(dir, 'bad.json') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecateursError);
    expect((err as SecateursError).code).toBe('PRUNE_LATENCY_CACHE');
    expect((err as Error).message).toMatch(/bad\.json' is not a version-1 'secateurs\/latency-cache' file/);
  });
});
