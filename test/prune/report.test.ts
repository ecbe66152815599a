import { describe, expect, it } from 'vitest';
import { applyMasks, formatPruneReport, layerMacs, planPruning, pruneReport } from '../../src/prune/index.js';
import { buildZooModel } from '../../src/zoo/index.js';

describe('pruneReport', () => {
  it('gives ShrinkBench compression ratio and theoretical speedup, and a per-layer table', async () => {
    const model = buildZooModel('lenet-300-100');
    const dense = await pruneReport(model);
    expect([dense.params, dense.compressionRatio, dense.theoreticalSpeedup]).toEqual([266610, 1, 1]);
    const pruned = applyMasks(model, await planPruning(model, { scope: { kind: 'layer', sparsity: 0.9 } }));
    const r = await pruneReport(pruned);
    expect(r.layers.map((l) => [l.name, l.params, l.nonzero, l.macs])).toEqual([
      ['fc1/weight', 235200, 23520, 235200], ['fc2/weight', 30000, 3000, 30000], ['fc3/weight', 1000, 100, 1000],
    ]);
    expect(r.nonzeroParams).toBe(26620 + 410);
    expect(r.compressionRatio).toBeCloseTo(266610 / 27030, 10);
    expect(r.theoreticalSpeedup).toBeCloseTo(10, 6);
    expect(r.layers[0]!.sparsity).toBeCloseTo(0.9, 10);
    const text = formatPruneReport(r);
    expect(text.split('\n')[0]).toMatch(/^layer\s+op\s+shape\s+params\s+nonzero\s+sparsity\s+MACs$/);
    expect(text).toContain('fc1/weight  Gemm  [300x784]  235200    23520     90.0%  235200');
    expect(text).toMatch(/compression 9\.86x; MACs 26620\/266200 nonzero, theoretical speedup 10\.00x$/);
  });

  it('gives dense MACs per prunable weight for MAC targets', async () => {
    expect(await layerMacs(buildZooModel('lenet5'))).toEqual({ 'conv1/weight': 288000, 'conv2/weight': 1600000, 'fc1/weight': 400000, 'fc2/weight': 5000 });
  });
});
