import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { applyMasks, planPruning } from '../../src/prune/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { cli, smallMnist, tempDir } from './helpers.js';

interface Side { eval: { top1: number }; summary: { params: number; fileBytes: number; gzipBytes: number }; latency: { batch: number; medianMs: number }[] }

let dir = '';
let data = '';
let pruned = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'secateurs-quantize-cli-'));
  data = await smallMnist(dir, 256, 300);
  const model = buildZooModel('lenet-300-100', { seed: 2 });
  pruned = join(dir, 'pruned.onnx');
  await saveModel(applyMasks(model, await planPruning(model, { criterion: 'magnitude', scope: { kind: 'layer', sparsity: 0.95 } })), pruned);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secateurs quantize', () => {
  it('static with percentile calibration: writes a fused int8 model and reports before/after as JSON', async () => {
    const out = join(tempDir(), 'q.onnx');
    const r = await cli('quantize', 'models/lenet5-mnist.onnx', '--mode', 'static', '--calibration', data, '--calibration-size', '128',
      '--calibrate', 'percentile', '--data', data, '--out', out, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { mode: string; layers: { node: string }[]; fusion: { fused: Record<string, number>; dangling: string[] }; before: Side; after: Side };
    expect(j.mode).toBe('static');
    expect(j.layers.map((l) => l.node)).toEqual(['conv1/Conv', 'conv2/Conv', 'fc1/Gemm', 'fc2/Gemm']);
    expect(j.fusion).toMatchObject({ fused: { QLinearConv: 2, QGemm: 2 }, dangling: [] });
    expect(j.after.summary.fileBytes).toBeLessThan(j.before.summary.fileBytes / 3);
    expect(j.after.eval.top1).toBeGreaterThan(j.before.eval.top1 - 0.01);
    expect(j.after.latency.map((l) => l.batch)).toEqual([1, 32]);
    expect((await loadModel(out)).graph.nodes.some((n) => n.opType === 'QuantizeLinear')).toBe(true);
  });

  it('prints the before/after table, the layers and what onnxruntime fused', async () => {
    const out = join(tempDir(), 'w.onnx');
    const r = await cli('quantize', pruned, '--mode', 'weight-only', '--bits', '4', '--exclude', '/^fc3/', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/gzip size/);
    expect(r.out).toMatch(/fc1\/Gemm \| Gemm \| fc1\/weight \| uint4 blocks of 32, float compute \(MatMulNBits\)/);
    expect(r.out).toMatch(/fc3\/Gemm \| Gemm \| excluded/);
    expect(r.out).toMatch(/onnxruntime \(extended\) runs: MatMulNBits ×2; Q\/DQ left around layers: none/);
  });

  it('refuses bad requests with exit code 2 before writing anything', async () => {
    const out = join(tempDir(), 'never.onnx');
    const cases: [string[], RegExp][] = [
      [['--mode', 'turbo'], /'--mode' must be one of dynamic, static, fp16, weight-only, got 'turbo'/],
      [['--mode', 'dynamic', '--bits', '3'], /'--bits' must be 8 or 4 \(4 only with --mode weight-only\), got '3'/],
      [['--mode', 'static'], /--mode static needs '--calibration <spec>'/],
      [['--mode', 'dynamic', '--exclude-op', 'Gemm'], /nothing to quantize in graph 'lenet-300-100' \(mode dynamic\).*excluded.*\[QUANT_NOTHING\]/],
    ];
    cases.push([['--mode', 'static', '--calibration', data, '--bits', '4'], /got 4 \(4 bits only with weight-only\)/]);
    for (const [args, message] of cases) {
      const r = await cli('quantize', pruned, ...args, '--out', out);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });
});

describe('secateurs export', () => {
  it('auto picks the smallest gzip of the four encodings and reports them', async () => {
    const out = join(tempDir(), 'e.onnx');
    const r = await cli('export', pruned, '--out', out, '--data', data, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { format: string; gzip: number; candidates: { format: string; gzip: number }[]; before: Side; after: Side };
    expect(j.format).toBe('int8-sparse');
    expect(j.gzip).toBe(Math.min(...j.candidates.map((c) => c.gzip)));
    expect(j.after.summary.gzipBytes).toBe(j.gzip);
    expect(j.after.summary.params).toBe(j.before.summary.params);
    expect(j.before.summary.gzipBytes / j.gzip).toBeGreaterThan(2);
    expect(Math.abs(j.after.eval.top1 - j.before.eval.top1)).toBeLessThan(0.02);
  });

  it('writes the requested format, and refuses an unknown one', async () => {
    const out = join(tempDir(), 'd.onnx');
    const r = await cli('export', pruned, '--format', 'sparse', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sparse \(written\)/);
    expect(r.out).toMatch(/max \|diff\| 0,/);
    const bad = await cli('export', pruned, '--format', 'zip', '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/'--format' must be auto or one of dense, sparse, int8, int8-sparse, got 'zip'/);
  });
});
