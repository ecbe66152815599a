import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { train } from '../../src/train/index.js';
import { loadMnist, take } from '../../src/data/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { cli, smallMnist, tempDir } from './helpers.js';

interface PruneJson {
  before: { eval: { top1: number }; summary: { params: number; macs: number } };
  after: { eval: { top1: number }; summary: { params: number; nonzeroParams: number; macs: number } };
  agreement: { top1Agreement: number };
  report: { compressionRatio: number };
}

let dir = '';
let data = '';
let trained = '';

// Shared by every test of this file (tempDir() folders are removed after each test).
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'secateurs-prune-'));
  data = await smallMnist(dir, 3000, 500);
  const r = await train(buildZooModel('lenet-300-100'), take(await loadMnist({ split: 'train' }), 3000), { epochs: 2, optimizer: 'adam', lr: 2e-3 });
  trained = join(dir, 'trained.onnx');
  await saveModel(r.model, trained);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function weight(file: string, name: string): Promise<Float32Array> {
  return loadModel(file).then((m) => m.graph.requireValue(name).constant!.toFloat32());
}

describe('secateurs prune (unstructured)', () => {
  it('global magnitude 80% + fine-tuning: exact sparsity, zeros kept, accuracy within 5 points', async () => {
    const out = join(tempDir(), 'p.onnx');
    const r = await cli('prune', trained, '--data', data, '--sparsity', '0.8', '--finetune-epochs', '1', '--lr', '0.001', '--out', out, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as PruneJson;
    const weights = 784 * 300 + 300 * 100 + 100 * 10;
    expect(j.after.summary.params - j.after.summary.nonzeroParams).toBe(Math.round(0.8 * weights));
    expect(j.report.compressionRatio).toBeGreaterThan(4.5);
    expect(j.after.eval.top1).toBeGreaterThan(j.before.eval.top1 - 0.05);
    const w = await weight(out, 'fc1/weight');
    expect(w.filter((v) => v === 0).length).toBeGreaterThan(0.5 * w.length);
  });

  it('2:4 semi-structured: at most 2 nonzeros in every 4 consecutive input weights', async () => {
    const out = join(tempDir(), 'nm.onnx');
    const r = await cli('prune', trained, '--data', data, '--pattern', '2:4', '--scope', 'layer', '--out', out, '--test-limit', '200', '--json');
    expect(r.code).toBe(0);
    const w = await weight(out, 'fc2/weight');
    const [rows, cols] = [100, 300];
    for (let o = 0; o < rows; o++) {
      for (let g = 0; g < cols; g += 4) {
        let nz = 0;
        for (let k = g; k < g + 4; k++) if (w[o * cols + k] !== 0) nz++;
        expect(nz).toBeLessThanOrEqual(2);
      }
    }
  });

  it('Taylor (gradient) criterion and sparse storage make a smaller file', async () => {
    const [dense, sparse] = [join(tempDir(), 'd.onnx'), join(tempDir(), 's.onnx')];
    expect((await cli('prune', trained, '--data', data, '--method', 'taylor', '--sparsity', '0.9', '--out', dense, '--test-limit', '200')).code).toBe(0);
    expect((await cli('prune', trained, '--data', data, '--method', 'taylor', '--sparsity', '0.9', '--sparse-storage', '--out', sparse, '--test-limit', '200')).code).toBe(0);
    expect(readFileSync(sparse).byteLength).toBeLessThan(0.5 * readFileSync(dense).byteLength);
    const [a, b] = [await weight(dense, 'fc1/weight'), await weight(sparse, 'fc1/weight')];
    expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
  });

  it('iterative schedule reaches the sparsity over rounds', async () => {
    const out = join(tempDir(), 'it.onnx');
    const r = await cli('prune', trained, '--data', data, '--schedule', 'iterative', '--rounds', '2', '--sparsity', '0.75',
      '--finetune-epochs', '1', '--scope', 'layer', '--out', out, '--test-limit', '200', '--json');
    expect(r.code).toBe(0);
    const w = await weight(out, 'fc1/weight');
    expect(w.filter((v) => v === 0).length).toBe(Math.round(0.75 * w.length));
  });
});

describe('secateurs prune --structured', () => {
  it('removes channels physically: fewer parameters and MACs, same output names', async () => {
    const out = join(tempDir(), 'st.onnx');
    const r = await cli('prune', 'zoo:resnet-small', '--data', data, '--structured', 'channels', '--ratio', '0.5', '--out', out, '--test-limit', '200', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as PruneJson;
    expect(j.after.summary.params).toBeLessThan(0.5 * j.before.summary.params);
    expect(j.after.summary.macs).toBeLessThan(0.5 * j.before.summary.macs);
    expect((await loadModel(out)).graph.outputs.map((v) => v.name)).toEqual(['logits']);
  });

  it('--recover bn re-calibrates BatchNorm statistics of the pruned network', async () => {
    const out = join(tempDir(), 'bn.onnx');
    const r = await cli('prune', 'zoo:resnet-small', '--data', data, '--structured', 'channels', '--ratio', '0.5', '--recover', 'bn', '--out', out, '--test-limit', '100');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/re-calibrated 9 BatchNorm layer\(s\)/);
    const m = await loadModel(out);
    const bn = m.graph.nodes.find((n) => n.opType === 'BatchNormalization')!;
    expect(bn.input(3)!.constant!.toFloat32().some((v) => v !== 0)).toBe(true);
    expect((await cli('prune', trained, '--data', data, '--recover', 'lsq', '--out', join(tempDir(), 'x.onnx'))).err).toMatch(/'--recover lsq' refits the layers after removed channels; it needs '--structured'/);
    expect((await cli('prune', trained, '--data', data, '--recover', 'heal', '--out', join(tempDir(), 'x.onnx'))).err).toMatch(/'--recover' must be one of none, bn, lsq, finetune, distill, got 'heal'/);
    expect((await cli('prune', trained, '--data', data, '--teacher', trained, '--out', join(tempDir(), 'x.onnx'))).err).toMatch(/--teacher applies to '--recover distill' only/);
  });

  it('--recover distill: the original model teaches the pruned one without labels (alpha 1) and recovers accuracy', async () => {
    const args = ['prune', trained, '--data', data, '--sparsity', '0.95', '--test-limit', '500', '--json'];
    const plain = JSON.parse((await cli(...args, '--out', join(tempDir(), 'p.onnx'))).out) as PruneJson;
    const r = await cli(...args, '--recover', 'distill', '--alpha', '1', '--temperature', '2', '--lr', '0.001', '--out', join(tempDir(), 'd.onnx'));
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out) as PruneJson;
    expect(d.after.summary.nonzeroParams).toBe(plain.after.summary.nonzeroParams);
    expect(d.after.eval.top1).toBeGreaterThan(plain.after.eval.top1 + 0.02);
  });

  it('--criterion taylor --recover lsq: neurons removed, the next layers refit by least squares', async () => {
    const out = join(tempDir(), 'lsq.onnx');
    const r = await cli('prune', trained, '--data', data, '--structured', 'neurons', '--criterion', 'taylor', '--ratio', '0.5', '--recover', 'lsq',
      '--out', out, '--test-limit', '300', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as PruneJson & { structured: { ratio: number; lsq: { node: string; status: string; errorBefore: number; errorAfter: number }[] } };
    expect(j.structured.ratio).toBe(0.5);
    expect(j.structured.lsq.map((l) => [l.node, l.status])).toEqual([['fc2/Gemm', 'solved'], ['fc3/Gemm', 'solved']]);
    for (const l of j.structured.lsq) expect(l.errorAfter).toBeLessThan(l.errorBefore);
    expect((await loadModel(out)).graph.requireValue('fc1/weight').constant!.dims).toEqual([152, 784]);   // 150 rounded up to 8
  });

  it('--target-latency: plans on a cached lookup table and reports predicted and measured latency', async () => {
    const [out, cache] = [join(tempDir(), 'lat.onnx'), join(tempDir(), 'latency.json')];
    const args = ['prune', trained, '--data', data, '--structured', 'neurons', '--target-latency', '0.7', '--latency-cache', cache, '--out', out, '--test-limit', '100'];
    // 0.7, not lower: this 0.05 ms model's most pruned plan predicts ~0.3 of dense on a quiet machine (the fixed cost of
    // a run stays), and at 0.5 a run beside other test files once exited 3 (bad input; most likely PRUNE_TARGET from a
    // floor raised by the load); the message is now in the assertion.
    const first = await cli(...args, '--json');
    expect(first.code, first.err).toBe(0);
    const j = JSON.parse(first.out) as { structured: { latency: { target: number; predictedFraction: number; cached: boolean; measured: { fraction: number } } } };
    expect(j.structured.latency.target).toBe(0.7);
    expect(j.structured.latency.predictedFraction).toBeLessThanOrEqual(0.7);
    expect(j.structured.latency.cached).toBe(false);
    expect(existsSync(cache)).toBe(true);
    const second = await cli(...args);
    expect(second.code, second.err).toBe(0);
    expect(second.err).toMatch(/latency table from the cache/);
    expect(second.out).toMatch(/latency target 70.00% of dense: predicted \d+\.\d\d% \(lookup table, cached\), measured \d+\.\d\d%/);
  });

  it('hits a MAC target', async () => {
    const out = join(tempDir(), 'mt.onnx');
    const r = await cli('prune', 'zoo:resnet-small', '--data', data, '--structured', 'channels', '--target-macs', '0.5', '--round-to', '1', '--out', out, '--test-limit', '100', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as PruneJson;
    const kept = j.after.summary.macs / j.before.summary.macs;
    expect(kept).toBeLessThanOrEqual(0.5);
    expect(kept).toBeGreaterThan(0.4);
  });

  it('ranks all channels together with --structured-scope global', async () => {
    const out = join(tempDir(), 'gs.onnx');
    const r = await cli('prune', 'zoo:resnet-small', '--data', data, '--structured', 'channels', '--structured-scope', 'global', '--normalize', 'mean',
      '--target-macs', '0.5', '--round-to', '1', '--out', out, '--test-limit', '100', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as PruneJson;
    expect(j.after.summary.macs / j.before.summary.macs).toBeLessThanOrEqual(0.5);
  });

  it('--plan-out writes the plan as JSON; --plan applies it (reviewed or edited) to the same model', async () => {
    const dir = tempDir();
    const [a, planFile, b, c] = [join(dir, 'a.onnx'), join(dir, 'plan.json'), join(dir, 'b.onnx'), join(dir, 'c.onnx')];
    const first = await cli('prune', 'zoo:resnet-small', '--data', data, '--structured', 'channels', '--target-macs', '0.5', '--round-to', '8',
      '--plan-out', planFile, '--out', a, '--test-limit', '100', '--json');
    expect(first.code, first.err).toBe(0);
    expect((JSON.parse(first.out) as { planOut: string }).planOut).toBe(planFile);
    const again = await cli('prune', 'zoo:resnet-small', '--data', data, '--plan', planFile, '--out', b, '--test-limit', '100', '--json');
    expect(again.code, again.err).toBe(0);
    expect((JSON.parse(again.out) as { mode: { plan: string } }).mode.plan).toBe(planFile);
    const weights = async (f: string) => (await loadModel(f)).graph.initializers.map((v) => [v.name, Array.from(v.constant!.toFloat32())]);
    expect(await weights(b)).toEqual(await weights(a));
    // An edited plan: keep only the first group's removal.
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as { groups: unknown[] };
    writeFileSync(planFile, JSON.stringify({ ...plan, groups: plan.groups.slice(0, 1) }));
    const edited = await cli('prune', 'zoo:resnet-small', '--data', data, '--plan', planFile, '--out', c, '--test-limit', '100', '--json');
    expect(edited.code, edited.err).toBe(0);
    const macs = (r: { out: string }) => (JSON.parse(r.out) as PruneJson).after.summary.macs;
    expect(macs(edited)).toBeGreaterThan(macs(again));
    // A plan of another model is refused before any work, naming the groups.
    const foreign = await cli('prune', 'zoo:lenet5', '--data', data, '--plan', planFile, '--out', join(dir, 'd.onnx'));
    expect(foreign.code).toBe(3);
    expect(foreign.err).toMatch(/does not fit this model/);
  });

  it('hits a parameter target', async () => {
    const out = join(tempDir(), 'pt.onnx');
    const r = await cli('prune', 'zoo:resnet-small', '--data', data, '--structured', 'channels', '--target-params', '0.5', '--round-to', '1', '--out', out, '--test-limit', '100', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as PruneJson;
    const kept = j.after.summary.params / j.before.summary.params;
    expect(kept).toBeLessThanOrEqual(0.5);
    expect(kept).toBeGreaterThan(0.45);
    expect((await loadModel(out)).graph.initializers.length).toBeGreaterThan(0);
  });
});

describe('secateurs sensitivity', () => {
  it('sweeps every layer at every level and writes JSON, CSV and an SVG chart', async () => {
    const out = join(tempDir(), 'sens');
    const r = await cli('sensitivity', trained, '--data', data, '--limit', '300', '--levels', '0,0.5,0.9', '--workers', '1', '--out', out, '--target-sparsity', '0.8', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { rows: { layer: string; level: number; top1: number }[]; dense: { top1: number }; allocation: { sparsities: Record<string, number> } };
    expect(j.rows).toHaveLength(3 * 3);
    for (const row of j.rows.filter((x) => x.level === 0)) expect(row.top1).toBe(j.dense.top1);
    expect(Object.keys(j.allocation.sparsities).sort()).toEqual(['fc1/weight', 'fc2/weight', 'fc3/weight']);
    for (const ext of ['json', 'csv', 'svg']) expect(existsSync(join(out, `sensitivity.${ext}`))).toBe(true);
    expect(readFileSync(join(out, 'sensitivity.svg'), 'utf8')).toMatch(/^<svg/);
  });
});

describe('prune rejects bad input before any work', () => {
  it.each([
    [['--sparsity', '1.2'], 2, /'--sparsity' must be in \[0, 1\), got '1.2'/],
    [['--pattern', '5:4'], 2, /'--pattern' needs 1 <= N <= M, got 5:4/],
    [['--method', 'vibes'], 2, /'--method' must be one of magnitude/],
    [['--structured', 'channels'], 2, /exactly one of '--ratio', '--target-params', '--target-macs', '--target-latency' or '--plan'/],
    [['--structured', 'channels', '--ratio', '0.5', '--target-latency', '0.5'], 2, /exactly one of '--ratio', '--target-params', '--target-macs', '--target-latency' or '--plan'/],
    [['--structured', 'kernels', '--ratio', '0.5'], 2, /'--structured' must be one of channels, neurons, heads, got 'kernels'/],
    [['--structured', 'neurons', '--ratio', '0.5', '--criterion', 'vibes'], 2, /'--criterion' must be one of l1, l2, bn-scale, random, taylor, fisher, activation, got 'vibes'/],
    [['--structured', 'neurons', '--target-latency', '0'], 2, /'--target-latency' must be in \(0, 1\], got '0'/],
    [['--structured', 'neurons', '--ratio', '0.5', '--latency-cache', 'x.json'], 2, /'--latency-cache' applies to '--target-latency'/],
    [['--structured', 'neurons', '--ratio', '0.5', '--reduction', 'median'], 2, /'--reduction' must be one of sum, mean, max, got 'median'/],
    [['--structured', 'neurons', '--ratio', '0.5', '--structured-scope', 'everywhere'], 2, /'--structured-scope' must be one of layer, global, got 'everywhere'/],
    [['--structured', 'neurons', '--target-params', '1.5'], 2, /'--target-params' must be in \(0, 1\], got '1.5'/],
    [['--target-latency', '0.5'], 2, /'--target-latency' applies to structured pruning; add '--structured channels,neurons,heads'/],
    [['--exclude', '.*'], 3, /leaves nothing to prune/],
    [['--schedule', 'agp'], 2, /needs 'finetuneEpochs' >= 1/],
    [['--schedule', 'iterative', '--finetune-epochs', '1', '--method', 'random'], 2, /prunes by unstructured magnitude/],
  ])('%j', async (args, code, message) => {
    const r = await cli('prune', trained, '--data', data, '--out', join(tempDir(), 'x.onnx'), '--test-limit', '50', ...args);
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
  });
});
