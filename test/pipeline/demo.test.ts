import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_MODEL, runDemo } from '../../src/pipeline/demo.js';
import { loadModel } from '../../src/onnx/index.js';
import { readRunRecord } from '../../src/report/run-record.js';
import { loadRunReport } from '../../src/report/run-report.js';

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

      // The run record: written beside the model, valid, with the measurements the demo reported.
      expect(r.recordPath).toBe(join(dir, 'sub', 'run.json'));
      const record = await readRunRecord(join(dir, 'sub'));
      expect(record).toEqual(r.record);
      expect(record.stages.map((st) => [st.name, st.kind])).toEqual([['original', 'original'], ['prune 90%', 'prune'], ['finetune', 'finetune']]);
      const [orig, pruned, tuned] = record.stages;
      expect(orig!.metrics).toMatchObject({ top1: r.before.eval!.top1, params: r.before.summary.params, nonzero: r.before.summary.nonzeroParams, gzipBytes: r.before.summary.gzipBytes });
      expect(tuned!.metrics).toMatchObject({ top1: r.after.eval!.top1, nonzero: r.after.summary.nonzeroParams, macs: r.after.summary.macs });
      expect(tuned!.metrics.latency.map((l) => l.medianMs)).toEqual(r.after.latency.map((l) => l.medianMs));
      expect(pruned!.metrics.nonzero).toBe(tuned!.metrics.nonzero);
      expect(pruned!.metrics.durationS).toBeGreaterThan(0);
      expect(tuned!.model).toEqual({ path: 'pruned.onnx', bytes: readFileSync(out).byteLength });
      expect(record.data).toEqual({ name: 'mnist', split: 'test', count: 2000 });
      expect(record.sensitivity).toEqual({ source: 'file', path: 'sensitivity.json', allocation: r.allocation });
      const report = await loadRunReport(join(dir, 'sub'));
      expect(report.sensitivity?.result.rows).toEqual(r.sensitivity.rows);
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
