import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_MODEL, runDemo } from '../../src/pipeline/demo.js';
import { loadModel } from '../../src/onnx/index.js';

describe('the demo: sensitivity, prune to 90%, fine-tune, before/after', () => {
  it('prunes the bundled LeNet-5 to 90% sparsity and keeps accuracy within 1 point', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secateurs-demo-'));
    try {
      const out = join(dir, 'sub', 'pruned.onnx');
      const r = await runDemo({ limit: 2000, finetuneSamples: 10_000, out });
      expect(r.model).toBe(BUNDLED_MODEL);
      expect(r.before.eval!.top1).toBeGreaterThan(0.98);
      expect(r.after.eval!.top1).toBeGreaterThan(r.before.eval!.top1 - 0.01);
      const sparsity = 1 - r.after.summary.nonzeroParams / r.after.summary.params;
      expect(sparsity).toBeGreaterThan(0.88);
      expect(r.report.compressionRatio).toBeGreaterThan(8);
      expect(r.after.summary.gzipBytes).toBeLessThan(r.before.summary.gzipBytes / 4);
      expect(r.sensitivity.rows.filter((x) => x.level === 0).every((x) => x.top1 === r.sensitivity.dense.top1)).toBe(true);
      const saved = await loadModel(out);
      expect(saved.graph.initializers.some((v) => v.storage === 'sparse')).toBe(true);
      expect(readFileSync(out).byteLength).toBeLessThan(r.before.summary.fileBytes / 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bundles a valid opset-17 model', async () => {
    const m = await loadModel(BUNDLED_MODEL);
    expect(m.opsets.get('')).toBe(17);
    expect(m.graph.outputs.map((v) => v.name)).toEqual(['logits']);
  });
});
