import { beforeAll, describe, expect, it } from 'vitest';
import { encodeModel } from '../../../src/onnx/index.js';
import {
  computeMasks, decodeMask, findTargets, globalCounts, layerBounds, normalizer, scoreTargets, type MaskOptions, type ScoreMap,
} from '../../../src/prune/index.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { mixedModel } from '../helpers.js';

const model = buildZooModel('lenet-300-100', { seed: 3 });
let scores: ScoreMap;
beforeAll(async () => { scores = await scoreTargets(model, findTargets(model)); });

const prunedOf = (o: MaskOptions): Record<string, number> =>
  Object.fromEntries(computeMasks(model, scores, o).layers.map((l) => [l.name, l.pruned]));

describe('scopes', () => {
  it('layer-wise: every layer prunes exactly round(s·n)', () => {
    expect(prunedOf({ scope: { kind: 'layer', sparsity: 0.333 } })).toEqual({ 'fc1/weight': 78322, 'fc2/weight': 9990, 'fc3/weight': 333 });
  });

  it('global: exactly round(s·Σn) pruned, by one threshold on raw magnitudes across layers (Han)', () => {
    const plan = computeMasks(model, scores, { scope: { kind: 'global', sparsity: 0.9 } });
    expect(plan.layers.reduce((a, l) => a + l.pruned, 0)).toBe(Math.round(0.9 * 266200));
    let maxPruned = 0;
    let minKept = Infinity;
    for (const l of plan.layers) {
      const m = decodeMask(l);
      const s = scores.get(l.name)!;
      m.forEach((keep, i) => { if (keep) minKept = Math.min(minKept, s[i]!); else maxPruned = Math.max(maxPruned, s[i]!); });
    }
    expect(maxPruned).toBeLessThanOrEqual(minKept);
    // the small fc3 (fan-in 100, larger init) loses less than fc1 (fan-in 784) under a global threshold
    expect(plan.layers[2]!.sparsity).toBeLessThan(plan.layers[0]!.sparsity);
  });

  it('global normalization makes layers scale-free (l2, mean, max)', () => {
    const scaled = new Map(scores);
    scaled.set('fc3/weight', scores.get('fc3/weight')!.map((v) => v * 1000));
    const raw = computeMasks(model, scaled, { scope: { kind: 'global', sparsity: 0.5 } });
    expect(raw.layers[2]!.pruned).toBe(0);
    for (const normalize of ['l2', 'mean', 'max'] as const) {
      const a = computeMasks(model, scaled, { scope: { kind: 'global', sparsity: 0.5, normalize } });
      const b = computeMasks(model, scores, { scope: { kind: 'global', sparsity: 0.5, normalize } });
      expect(a.layers.map((l) => l.pruned)).toEqual(b.layers.map((l) => l.pruned));
    }
    expect(normalizer(Float32Array.from([3, 4]), 'l2')).toBe(5);
  });

  it('explicit per-layer ratios; unlisted layers stay dense', () => {
    expect(prunedOf({ scope: { kind: 'explicit', sparsities: { 'fc1/weight': 0.5, 'fc3/weight': 0.25 } } }))
      .toEqual({ 'fc1/weight': 117600, 'fc2/weight': 0, 'fc3/weight': 250 });
  });
});

describe('min/max limits', () => {
  it('clamp layer-wise sparsities', () => {
    const p = prunedOf({ scope: { kind: 'layer', sparsity: 0.6 }, limits: [{ layers: ['fc3/weight'], max: 0.1 }, { layers: [/fc2/], min: 0.8 }] });
    expect(p).toEqual({ 'fc1/weight': 141120, 'fc2/weight': 24000, 'fc3/weight': 100 });
  });

  it('are respected by the global ranking, which water-fills the rest to the exact total', () => {
    const free = prunedOf({ scope: { kind: 'global', sparsity: 0.75 } });
    expect(free['fc1/weight']).toBeGreaterThan(0.76 * 235200);
    const o: MaskOptions = { scope: { kind: 'global', sparsity: 0.75 }, limits: [{ layers: [/fc1/], max: 0.76 }, { layers: ['fc3/weight'], min: 0.5, max: 0.5 }] };
    const p = prunedOf(o);
    expect(p['fc1/weight']).toBe(Math.round(0.76 * 235200));
    expect(p['fc3/weight']).toBe(500);
    expect(p['fc1/weight']! + p['fc2/weight']! + p['fc3/weight']!).toBe(Math.round(0.75 * 266200));
  });

  it('report a total the limits cannot reach, with the reachable range', () => {
    expect(() => computeMasks(model, scores, { scope: { kind: 'global', sparsity: 0.9 }, limits: [{ max: 0.5 }] }))
      .toThrow(/global sparsity 0.9 prunes 239580 of 266200 weights, but the per-layer limits allow only 0..133100/);
  });

  it('water-fill ties deterministically at the threshold', () => {
    const t = findTargets(model).slice(0, 2).map((x, i) => ({ ...x, size: 4, name: `l${i}` }));
    const s = new Map([['l0', Float32Array.from([1, 1, 1, 1])], ['l1', Float32Array.from([1, 1, 0, 2])]]);
    const counts = globalCounts(t, s, 0.5, layerBounds(t));
    expect([...counts]).toEqual([['l0', 3], ['l1', 1]]);
  });
});

describe('layer selection', () => {
  it('excludes by name, regex and op type; keeps the classifier or first layer', () => {
    const names = (o: Partial<MaskOptions>): string[] => computeMasks(model, scores, { scope: { kind: 'layer', sparsity: 0.5 }, ...o }).layers.map((l) => l.name);
    expect(names({ exclude: ['fc2/weight'] })).toEqual(['fc1/weight', 'fc3/weight']);
    expect(names({ exclude: [/^fc[12]/] })).toEqual(['fc3/weight']);
    expect(names({ exclude: ['fc3/Gemm'] })).toEqual(['fc1/weight', 'fc2/weight']);
    expect(names({ keepClassifier: true })).toEqual(['fc1/weight', 'fc2/weight']);
    expect(names({ keepFirst: true, keepClassifier: true })).toEqual(['fc2/weight']);
    expect(names({ include: [{ opType: 'Gemm' }], exclude: [/fc1/] })).toEqual(['fc2/weight', 'fc3/weight']);
  });

  it('keepClassifier finds the head through Transpose/MatMul chains of other models', async () => {
    const m = mixedModel();
    const plan = computeMasks(m, await scoreTargets(m, findTargets(m)), { scope: { kind: 'layer', sparsity: 0.5 }, keepClassifier: true, keepFirst: true });
    expect(plan.layers.map((l) => l.name)).toEqual(['B_gemm', 'C_shared', 'A_left']);
  });
});

describe('bad input, reported before any work', () => {
  it('rejects sparsities outside [0, 1) with the interval', () => {
    expect(() => computeMasks(model, scores, { scope: { kind: 'layer', sparsity: 1 } })).toThrow(new RangeError("'scope.sparsity' is 1, out of range [0, 1)."));
    expect(() => computeMasks(model, scores, { scope: { kind: 'explicit', sparsities: { 'fc1/weight': -0.1 } } })).toThrow(/'scope.sparsities\['fc1\/weight'\]' is -0.1/);
  });

  it('lists the prunable layers when a selector matches nothing, and collects every problem', () => {
    const run = (): unknown => computeMasks(model, scores, {
      scope: { kind: 'explicit', sparsities: { conv9: 0.5 } }, exclude: [/conv/], limits: [{ layers: ['fc9'], max: 0.5 }],
    });
    expect(run).toThrow(/3 problems:/);
    expect(run).toThrow(/exclude \/conv\/ matches no prunable layer; prunable layers: 'fc1\/weight', 'fc2\/weight', 'fc3\/weight'/);
    expect(run).toThrow(/scope.sparsities names 'conv9', which is not a prunable layer/);
    expect(run).toThrow(/limits\[0\] selector 'fc9' matches no prunable layer/);
  });

  it('refuses a selection that excludes everything', () => {
    expect(() => computeMasks(model, scores, { scope: { kind: 'layer', sparsity: 0.5 }, exclude: [{ opType: 'Gemm' }] }))
      .toThrow(/the layer selection leaves nothing to prune; prunable layers: 'fc1\/weight'/);
  });

  it('rejects N:M with a scope, global with blocks, a missing scope, and missing scores', () => {
    expect(() => computeMasks(model, scores, { granularity: { kind: 'nm', n: 2, m: 4 }, scope: { kind: 'layer', sparsity: 0.5 } })).toThrow(/N:M granularity fixes each layer's sparsity/);
    expect(() => computeMasks(model, scores, { granularity: { kind: 'block', rows: 1, cols: 4 }, scope: { kind: 'global', sparsity: 0.5 } })).toThrow(/a global scope ranks single weights/);
    expect(() => computeMasks(model, scores, {})).toThrow(/'scope' is required/);
    expect(() => computeMasks(model, new Map(), { scope: { kind: 'layer', sparsity: 0.5 } })).toThrow(/no scores for layer 'fc1\/weight'/);
  });
});

describe('purity', () => {
  it('never mutates the model or the scores', () => {
    const before = Buffer.from(encodeModel(model));
    const copy = new Map([...scores].map(([k, v]) => [k, v.slice()]));
    computeMasks(model, scores, { scope: { kind: 'global', sparsity: 0.7 } });
    expect(Buffer.from(encodeModel(model)).equals(before)).toBe(true);
    for (const [k, v] of copy) expect(Buffer.from(scores.get(k)!.buffer).equals(Buffer.from(v.buffer))).toBe(true);
  });

  it('wanda scores compare within each output row by default', () => {
    const plan = computeMasks(model, scores, { criterion: 'wanda', scope: { kind: 'layer', sparsity: 0.5 } });
    const m = decodeMask(plan.layers[2]!);
    for (let r = 0; r < 10; r++) expect(m.subarray(r * 100, r * 100 + 100).reduce((a, v) => a + 1 - v, 0)).toBe(50);
  });
});
