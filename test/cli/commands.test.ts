import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/onnx/index.js';
import { cli, tempDir } from './helpers.js';

describe('secateurs inspect', () => {
  it('reports parameters, MACs and sizes as JSON', async () => {
    const r = await cli('inspect', 'zoo:lenet5', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { params: number; macs: number; gzipBytes: number; fileBytes: number; ops: { opType: string }[] };
    expect(j.params).toBe(431_080);
    expect(j.macs).toBe(2_293_000);
    expect(j.gzipBytes).toBeLessThan(j.fileBytes);
    expect(j.ops.map((o) => o.opType).sort()).toEqual(['Conv', 'Flatten', 'Gemm', 'MaxPool', 'Relu']);
  });

  it('prints tables with the per-layer list', async () => {
    const r = await cli('inspect', 'fixtures/pytorch/mlp.onnx', '--layers');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/parameters\s+\|\s+266,610/);
    expect(r.out).toMatch(/layers/);
    expect(r.out).toMatch(/Gemm/);
  });
});

describe('secateurs eval / bench / compare', () => {
  it('evaluates on an MNIST slice', async () => {
    const r = await cli('eval', 'zoo:lenet-300-100', '--data', 'mnist', '--limit', '300', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { count: number; top1: number; loss: number };
    expect(j.count).toBe(300);
    expect(j.top1).toBeGreaterThanOrEqual(0);
    expect(j.top1).toBeLessThanOrEqual(0.3);
    expect(Number.isFinite(j.loss)).toBe(true);
  });

  it('benchmarks the requested batch sizes', async () => {
    const r = await cli('bench', 'zoo:lenet-300-100', '--batch', '1,4', '--runs', '3', '--warmup', '1', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { latency: { batch: number; medianMs: number; runs: number }[] };
    expect(j.latency.map((l) => l.batch)).toEqual([1, 4]);
    for (const l of j.latency) expect(l.medianMs).toBeGreaterThan(0);
  });

  it('compare passes for a model against itself and fails its check (exit 4) against another seed', async () => {
    const dir = tempDir();
    const other = join(dir, 'seed1.onnx');
    expect((await cli('zoo', 'lenet5', '--seed', '1', '--out', other)).code).toBe(0);
    const same = await cli('compare', 'zoo:lenet5', 'zoo:lenet5', '--data', 'mnist', '--limit', '64', '--min-agreement', '1', '--max-diff', '0', '--json');
    expect(same.code).toBe(0);
    expect(JSON.parse(same.out)).toMatchObject({ count: 64, maxAbsDiff: 0, top1Agreement: 1 });
    const diff = await cli('compare', 'zoo:lenet5', other, '--data', 'mnist', '--limit', '64', '--min-agreement', '0.99');
    expect(diff.code).toBe(4);
    expect(diff.err).toMatch(/top-1 agreement .* is below --min-agreement 0.99/);
  });
});

describe('secateurs zoo', () => {
  it('lists the reference models', async () => {
    const r = await cli('zoo', '--json');
    const names = (JSON.parse(r.out) as { name: string }[]).map((x) => x.name);
    expect(names).toEqual(['lenet-300-100', 'lenet5', 'resnet-small', 'mobilenetv2-small', 'vit-tiny']);
  });

  it('writes a model that loads back, leaving no temporary file', async () => {
    const dir = tempDir();
    const out = join(dir, 'm.onnx');
    const r = await cli('zoo', 'resnet-small', '--out', out);
    expect(r.code).toBe(0);
    expect((await loadModel(out)).graph.name).toBe('resnet-small');
    expect(readdirSync(dir)).toEqual(['m.onnx']);
  });

  it('names the valid models for an unknown one', async () => {
    const r = await cli('zoo', 'alexnet', '--out', join(tempDir(), 'x.onnx'));
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/unknown zoo model 'alexnet'; valid names: lenet-300-100, lenet5/);
  });

  it('writes nothing when the output folder does not exist', async () => {
    const dir = tempDir();
    const out = join(dir, 'missing', 'x.onnx');
    const r = await cli('zoo', 'lenet5', '--out', out);
    expect(r.code).not.toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(r.err.split('\n').filter((l) => l).length).toBe(1);
  });
});

describe('secateurs groups', () => {
  it('lists prunable groups and says why the classifier group is blocked', async () => {
    const r = await cli('groups', 'zoo:resnet-small', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { groups: { status: string; reason?: string; channels: number }[] };
    expect(j.groups.filter((g) => g.status === 'prunable').length).toBe(6);
    const blocked = j.groups.filter((g) => g.status === 'blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.reason).toMatch(/graph output 'logits'/);
    const text = await cli('groups', 'zoo:vit-tiny');
    expect(text.out).toMatch(/blocked:/);
    expect(text.out).toMatch(/LayerNormalization/);
  });
});
