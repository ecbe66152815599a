import { describe, expect, it } from 'vitest';
import { BUNDLED_MODEL, runDemo } from '../../src/pipeline/demo.js';
import { loadModel } from '../../src/onnx/index.js';

describe('the demo on the bundled model', () => {
  it('loads the trained LeNet-5 and reports its accuracy, size and latency', async () => {
    const lines: string[] = [];
    const r = await runDemo({ limit: 2000, log: (l) => lines.push(l) });
    expect(r.model).toBe(BUNDLED_MODEL);
    expect(r.eval.count).toBe(2000);
    expect(r.eval.top1).toBeGreaterThan(0.98);
    expect(r.summary.params).toBe(431_080);
    expect(r.summary.fileBytes).toBeLessThan(2 * 1024 * 1024);
    expect(r.latency.map((l) => l.batch)).toEqual([1, 32]);
    expect(lines.some((l) => l.includes('evaluating'))).toBe(true);
  });

  it('bundles a valid opset-17 model', async () => {
    const m = await loadModel(BUNDLED_MODEL);
    expect(m.opsets.get('')).toBe(17);
    expect(m.graph.outputs.map((v) => v.name)).toEqual(['logits']);
  });
});
