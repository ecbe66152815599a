import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../../src/onnx/index.js';
import { checkRecipeText } from '../../../src/pipeline/recipe/check.js';
import { runRecipe } from '../../../src/pipeline/recipe/run.js';
import { readRunRecord } from '../../../src/report/run-record.js';
import { evaluate } from '../../../src/runtime/index.js';
import { loadMnist, take } from '../../../src/data/index.js';

const MODEL = join(import.meta.dirname, '../../../models/lenet5-mnist.onnx');
let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'secateurs-run-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const recipe = (name: string, stages: string, verify = '') => `version: 1
name: ${name}
model: ${MODEL}
data: { dataset: mnist, calibration: 500, testLimit: 500 }
stages:
${stages}
${verify}`;

const zeros = (w: Float32Array): number => w.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

describe('runRecipe', () => {
  it('runs prune then fine-tune, records every stage, keeps the pruned weights at zero, and resumes a finished run without work', async () => {
    const text = recipe('a', '  - { kind: prune, scope: layer, sparsity: 0.8, keepClassifier: true }\n  - { kind: finetune, epochs: 1, limit: 1000 }', 'verify: { maxDrop: 0.05 }');
    const loaded = await checkRecipeText(text, join(dir, 'a.yaml'));
    const r = await runRecipe(loaded);
    expect(r.record.stages.map((s) => s.kind)).toEqual(['original', 'prune', 'finetune']);
    const [orig, pruned, tuned] = r.record.stages.map((s) => s.metrics);
    expect(pruned!.nonzero).toBeLessThan(0.3 * orig!.nonzero);
    expect(tuned!.nonzero).toBe(pruned!.nonzero);
    expect(tuned!.top1!).toBeGreaterThan(orig!.top1! - 0.05);
    // The final file is the fine-tuned model; onnxruntime scores it as the record says.
    const final = await loadModel(r.model);
    const test = take(await loadMnist({ split: 'test' }), 500);
    expect((await evaluate(final, test)).top1).toBeCloseTo(tuned!.top1!, 6);
    const fc1 = final.graph.requireValue('fc1/weight').constant!.toFloat32();
    expect(zeros(fc1) / fc1.length).toBeCloseTo(0.8, 3);
    expect((await readRunRecord(r.dir)).stages).toHaveLength(3);
    const lines: string[] = [];
    const again = await runRecipe(loaded, { log: (l) => lines.push(l) });
    expect(again.resumed).toBe(2);
    expect(lines).toEqual([`all 2 stages already finished (${r.dir}); nothing to do`]);
    expect(again.record.stages.map((s) => s.metrics.top1)).toEqual(r.record.stages.map((s) => s.metrics.top1));
  });

  it('resumes an interrupted training stage from its checkpoint and ends where an uninterrupted run ends', async () => {
    const text = recipe('b', '  - { kind: prune, scope: global, sparsity: 0.9 }\n  - { kind: finetune, epochs: 2, limit: 640, batchSize: 64 }');
    const straight = await runRecipe(await checkRecipeText(text, join(dir, 'b.yaml')), { dir: join(dir, 'b-straight') });
    const ctl = new AbortController();
    const loaded = await checkRecipeText(text, join(dir, 'b.yaml'));
    // Abort after step 7 of the fine-tuning stage: the trainer stops there and writes a checkpoint.
    await expect(runRecipe(loaded, { dir: join(dir, 'b-cut'), onStep: (stage, r) => { if (stage === 1 && r.step === 7) ctl.abort(); }, signal: ctl.signal }))
      .rejects.toMatchObject({ code: 'TRAIN_ABORTED' });
    const lines: string[] = [];
    const resumed = await runRecipe(loaded, { dir: join(dir, 'b-cut'), log: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/^resuming after stage 1 of 2/);
    expect(resumed.resumed).toBe(1);
    const w = async (file: string) => (await loadModel(file)).graph.requireValue('fc2/weight').constant!.toFloat32();
    expect([...await w(resumed.model)]).toEqual([...await w(straight.model)]);
  });

  it('stops with a report when a stage ends below the floor, after writing the record so far', async () => {
    const text = recipe('c', '  - { kind: prune, scope: layer, sparsity: 0.99 }', 'verify: { minTop1: 0.9 }');
    const loaded = await checkRecipeText(text, join(dir, 'c.yaml'));
    await expect(runRecipe(loaded)).rejects.toThrow(/stage 1 prune layer 99%: top-1 \d+\.\d+% is below the floor verify\.minTop1 90\.00%\. The run stopped/);
    expect((await readRunRecord(join(dir, 'runs/c'))).stages.map((s) => s.kind)).toEqual(['original', 'prune']);
  });

  it('refuses to resume a folder holding a run of a changed recipe, unless told to restart', async () => {
    const first = recipe('d', '  - { kind: prune, scope: layer, sparsity: 0.5 }');
    await runRecipe(await checkRecipeText(first, join(dir, 'd.yaml')));
    const changed = await checkRecipeText(first.replace('0.5', '0.6'), join(dir, 'd.yaml'));
    await expect(runRecipe(changed)).rejects.toMatchObject({ code: 'RECIPE_CHANGED' });
    const r = await runRecipe(changed, { restart: true });
    expect(r.resumed).toBe(0);
    expect(JSON.parse(await readFile(join(r.dir, 'recipe-state.json'), 'utf8'))).toMatchObject({ done: 1 });
  });

  it('removes channels with a least-squares refit, quantizes to int8 and exports: the final file is what the record says', async () => {
    const text = recipe('f', [
      '  - { kind: structured, criterion: taylor, targetMacs: 0.5, lsq: true }',
      '  - { kind: prune, scope: layer, sparsity: 0.5, keepClassifier: true }',
      '  - { kind: quantize, mode: static }',
      '  - { kind: export, format: auto }',
    ].join('\n'), 'verify: { maxDrop: 0.02 }');
    const r = await runRecipe(await checkRecipeText(text, join(dir, 'f.yaml')));
    const [orig, structured, , quantized, exported] = r.record.stages;
    expect(structured!.metrics.macs / orig!.metrics.macs).toBeLessThanOrEqual(0.5);
    expect(structured!.notes.join(' ')).toMatch(/least squares: 3 layer\(s\) refit/);
    expect(quantized!.notes.join(' ')).toMatch(/4 layer\(s\) quantized: int8 reduce-range per-channel/);
    expect(exported!.metrics.top1!).toBeGreaterThanOrEqual(orig!.metrics.top1! - 0.02);
    // The exported file is the run's final model: onnxruntime scores it as recorded, and its gzip is far below dense.
    const test = take(await loadMnist({ split: 'test' }), 500);
    expect((await evaluate(await loadModel(r.model), test)).top1).toBeCloseTo(exported!.metrics.top1!, 6);
    const bytes = await readFile(r.model);
    expect(exported!.model!.bytes).toBe(bytes.length);
    expect(exported!.metrics.gzipBytes).toBeLessThan(orig!.metrics.gzipBytes / 8);
  });

  it('distills the pruned model from the original (no labels with alpha 1) and recovers accuracy', async () => {
    const text = recipe('g', '  - { kind: prune, scope: global, sparsity: 0.97 }\n  - { kind: distill, epochs: 1, limit: 2000, alpha: 1, temperature: 2, lr: 1.0e-3 }');
    const r = await runRecipe(await checkRecipeText(text, join(dir, 'g.yaml')));
    const [, pruned, distilled] = r.record.stages;
    expect(distilled!.kind).toBe('distill');
    expect(distilled!.notes[0]).toMatch(/alpha 1, temperature 2/);
    expect(distilled!.metrics.nonzero).toBe(pruned!.metrics.nonzero);
    expect(distilled!.metrics.top1!).toBeGreaterThan(pruned!.metrics.top1! + 0.02);
  });

  it('writes the final model under outputs.model and never touches the input model', async () => {
    const before = await readFile(MODEL);
    const text = recipe('e', '  - { kind: prune, sparsity: 0.5 }').replace('stages:', 'outputs: { model: small.onnx }\nstages:');
    const r = await runRecipe(await checkRecipeText(text, join(dir, 'e.yaml')));
    expect(r.model).toBe(join(dir, 'runs/e/small.onnx'));
    expect((await readFile(MODEL)).equals(before)).toBe(true);
  });
});
