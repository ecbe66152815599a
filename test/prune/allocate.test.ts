import { describe, expect, it } from 'vitest';
import {
  allocateSparsity, dropAt, sensitivityCurves, thresholdSparsities, type SensitivityRow,
} from '../../src/prune/index.js';

const LEVELS = [0, 0.3, 0.6, 0.9];
/** Rows of one layer from its losses at LEVELS (dense loss 1). */
function layer(name: string, params: number, losses: number[]): SensitivityRow[] {
  return LEVELS.map((level, i) => ({ layer: name, level, top1: 1 - losses[i]!, top5: 1, loss: losses[i]!, kl: losses[i]! - 1, params, pruned: Math.round(level * params) }));
}
const rows = [
  ...layer('sensitive', 1000, [1, 1.1, 1.5, 3]),
  ...layer('robust', 1000, [1, 1.001, 1.002, 1.01]),
  ...layer('big', 4000, [1, 1, 1.01, 1.05]),
];

describe('allocateSparsity', () => {
  it('meets a global sparsity exactly-ish and prunes the insensitive layers first (greedy)', () => {
    const a = allocateSparsity(rows, { kind: 'sparsity', value: 0.5 });
    expect(a.metric).toBe('loss');
    expect(a.sparsities['sensitive']).toBe(0);
    expect(a.sparsities['big']).toBeGreaterThanOrEqual(0.6);
    expect(a.sparsities['robust']).toBeGreaterThan(0);
    expect(Math.abs(a.achieved.sparsity - 0.5)).toBeLessThanOrEqual(3 / 6000);
    const uniform = ['sensitive', 'robust', 'big'].reduce((s, l) => s + dropAt(sensitivityCurves(rows, 'loss').find((c) => c.layer === l)!, 0.5), 0);
    expect(a.predictedDrop).toBeLessThan(uniform / 10);
  });

  it('meets a kept-parameter count and a kept-MAC count', () => {
    const p = allocateSparsity(rows, { kind: 'params', value: 2500 });
    expect(Math.abs(p.achieved.keptParams - 2500)).toBeLessThanOrEqual(3);
    // make 'sensitive' carry most MACs: a MAC target must now cut into it
    const layerMacs = { sensitive: 1e6, robust: 1000, big: 4000 };
    const m = allocateSparsity(rows, { kind: 'macs', value: 0.8e6 }, { layerMacs });
    expect(m.achieved.keptMacs!).toBeLessThanOrEqual(0.8e6 + 1e3);
    expect(m.achieved.keptMacs!).toBeGreaterThan(0.8e6 - 1e3);
    expect(m.sparsities['sensitive']).toBeGreaterThan(0.15);
    expect(() => allocateSparsity(rows, { kind: 'macs', value: 1 })).toThrow(/a 'macs' target needs layerMacs\['sensitive'\]/);
  });

  it('the threshold strategy bisects τ, reports it, and meets the target the same way', () => {
    const a = allocateSparsity(rows, { kind: 'sparsity', value: 0.5 }, { strategy: 'threshold' });
    expect(a.threshold).toBeCloseTo(0.01, 12);
    expect(a.sparsities['sensitive']).toBe(0);
    expect(Math.abs(a.achieved.sparsity - 0.5)).toBeLessThanOrEqual(3 / 6000);
  });

  it('reads accuracies as drops when they fall', () => {
    const a = allocateSparsity(rows, { kind: 'sparsity', value: 0.3 }, { metric: 'top1' });
    expect(a.sparsities['sensitive']).toBe(0);
    expect(a.predictedDrop).toBeGreaterThanOrEqual(0);
  });

  it('reports infeasible targets and incomplete tables', () => {
    expect(() => allocateSparsity(rows, { kind: 'sparsity', value: 0.95 })).toThrow(/highest measured levels save only 5400/);
    expect(() => allocateSparsity(rows, { kind: 'sparsity', value: 1 })).toThrow(RangeError);
    expect(() => allocateSparsity(rows.filter((r) => r.level > 0), { kind: 'sparsity', value: 0.1 })).toThrow(/layer 'sensitive' has no level-0 row/);
  });
});

describe('thresholdSparsities', () => {
  it('takes the largest level such that every level up to it stays within τ', () => {
    const bumpy = [...layer('bumpy', 10, [1, 1.5, 1.0, 1.0]), ...layer('robust', 10, [1, 1, 1, 1.001])];
    expect(thresholdSparsities(bumpy, 0.01, 'loss')).toEqual({ bumpy: 0, robust: 0.9 });
    expect(thresholdSparsities(bumpy, 0.5, 'loss')).toEqual({ bumpy: 0.9, robust: 0.9 });
  });
});
