import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRecipeText, loadRecipe, orderProblems } from '../../../src/pipeline/recipe/check.js';
import type { Stage } from '../../../src/pipeline/recipe/schema.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secateurs-recipe-'));
  await writeFile(join(dir, 'model.onnx'), 'not read by the checker');
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const check = (text: string) => checkRecipeText(text, join(dir, 'recipe.yaml'));
const problemsOf = async (text: string): Promise<string[]> => {
  try {
    await check(text);
  } catch (e) {
    expect((e as { code?: string }).code).toBe('RECIPE_INVALID');
    return (e as Error).message.split('\n').slice(1).map((l) => l.replace(/^ {2}- /, ''));
  }
  throw new Error('the recipe was accepted');
};

describe('recipe checking', () => {
  it('accepts a full recipe, YAML or JSON, resolving paths against the recipe folder', async () => {
    const yaml = await check(`
version: 1
name: deploy
model: model.onnx
data: { dataset: mnist, calibration: 1000 }
stages:
  - { kind: prune, criterion: wanda, scope: global, sparsity: 0.8 }
  - { kind: finetune, epochs: 2, lr: 1.0e-4, schedule: cosine, shift: 2 }
  - { kind: distill, epochs: 1, alpha: 0.5, features: [{ student: fc1_out, teacher: fc1_out, weight: 0.1 }] }
  - { kind: quantize, mode: static, calibrate: entropy }
  - { kind: export, format: auto }
verify: { minTop1: 0.98 }
`);
    expect(yaml.recipe.stages.map((s) => s.kind)).toEqual(['prune', 'finetune', 'distill', 'quantize', 'export']);
    expect(yaml.recipe.stages[1]).toMatchObject({ kind: 'finetune', shift: 2 });
    expect(yaml.resolvePath(yaml.recipe.model)).toBe(join(dir, 'model.onnx'));
    const json = await checkRecipeText(JSON.stringify({ version: 1, model: 'zoo:lenet5', data: { dataset: 'fashion-mnist' }, stages: [{ kind: 'structured', ratio: 0.5, scope: 'global', normalize: 'mean' }] }), join(dir, 'r.json'));
    expect(json.recipe.model).toBe('zoo:lenet5');
    expect(json.recipe.stages[0]).toMatchObject({ scope: 'global', normalize: 'mean' });
  });

  it('lists every schema problem with its line: unknown keys (with a suggestion), types, ranges, unknown kinds', async () => {
    const problems = await problemsOf(`version: 1
model: model.onnx
data: { dataset: mnist, bogus: 3 }
stages:
  - kind: prune
    sparsity: 1.5
    critrion: magnitude
  - kind: quantise
  - kind: finetune
    epochs: "2"
    shift: -1
`);
    expect(problems).toEqual([
      expect.stringMatching(/^line 3: data: unknown key 'bogus'; allowed: dataset, calibration, testLimit$/),
      expect.stringMatching(/^line 5: stages\[0\]: unknown key 'critrion' \(did you mean 'criterion'\?\)/),
      expect.stringMatching(/^line 6: stages\[0\]\.sparsity: must be < 1, got 1\.5$/),
      expect.stringMatching(/^line 8: stages\[1\]\.kind: 'quantise' is not one of prune, structured, .* \(did you mean 'quantize'\?\)$/),
      expect.stringMatching(/^line 10: stages\[2\]\.epochs: must be an integer, got "2"$/),
      expect.stringMatching(/^line 11: stages\[2\]\.shift: must be >= 0, got -1$/),
    ]);
  });

  it('reports YAML syntax errors by line, before anything else', async () => {
    const problems = await problemsOf('version: 1\nstages: [\n  - kind: prune\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^line \d+: /);
  });

  it('rejects stage orders that cannot work, each explained', () => {
    const stages: Stage[] = [
      { kind: 'quantize' }, { kind: 'prune', sparsity: 0.5 }, { kind: 'export' }, { kind: 'finetune', epochs: 1 }, { kind: 'export' },
    ];
    const p = orderProblems(stages);
    expect(p).toContain('stages[2] (export) and stages[4] (export): at most one export stage');
    expect(p).toContain('stages[1] (prune) comes after stages[0] (quantize): prune needs float weights, so quantize must come after every prune, structured, finetune, distill and recalibrate stage');
    expect(p).toContain('stages[3] (finetune) comes after stages[0] (quantize): finetune needs float weights, so quantize must come after every prune, structured, finetune, distill and recalibrate stage');
    expect(p).toContain('stages[2] (export) must be the last stage (it writes the final file); 2 stage(s) follow it');
  });

  it('checks each stage for combinations a schema cannot express', () => {
    expect(orderProblems([{ kind: 'prune', sparsity: 0.9, schedule: 'agp' }])).toEqual([expect.stringMatching(/schedule 'agp' prunes while training, so it needs 'train'/)]);
    expect(orderProblems([{ kind: 'prune', sparsity: 0.9, schedule: 'agp', criterion: 'wanda', train: { epochs: 1 } }])).toEqual([expect.stringMatching(/criterion 'wanda' works only with 'oneshot'/)]);
    expect(orderProblems([{ kind: 'prune' }])).toEqual([expect.stringMatching(/missing 'sparsity'/)]);
    expect(orderProblems([{ kind: 'prune', granularity: '4:2' }])).toEqual([expect.stringMatching(/'4:2' needs 1 <= N < M/)]);
    expect(orderProblems([{ kind: 'prune', granularity: '2:4' }])).toEqual([]);
    expect(orderProblems([{ kind: 'structured' }])).toEqual([expect.stringMatching(/exactly one of 'ratio', 'targetParams', 'targetMacs' and 'targetLatency'/)]);
    expect(orderProblems([{ kind: 'structured', ratio: 0.3, targetMacs: 0.5 }])).toHaveLength(1);
    expect(orderProblems([{ kind: 'quantize', mode: 'static', bits: 4 }])).toEqual([expect.stringMatching(/4 bits are for mode 'weight-only'/)]);
  });

  it('reports missing model, teacher and data files and unknown zoo models together', async () => {
    const problems = await problemsOf(`version: 1
model: missing.onnx
data: { dataset: cifar }
stages:
  - { kind: prune, sparsity: 0.5 }
  - { kind: distill, epochs: 1, teacher: teacher.onnx }
`);
    expect(problems).toEqual([
      `model: file ${join(dir, 'missing.onnx')} does not exist`,
      expect.stringMatching(/^data\.dataset: 'cifar' is neither a built-in dataset \(mnist, fashion-mnist\) nor an \.npz file$/),
      `stages[1] (distill): teacher file ${join(dir, 'teacher.onnx')} does not exist`,
    ]);
    expect(await problemsOf('version: 1\nmodel: zoo:resnet99\ndata: { dataset: mnist }\nstages: [{ kind: recalibrate }]\n'))
      .toEqual([expect.stringMatching(/^model: no zoo model 'resnet99'; zoo models: lenet-300-100, /)]);
  });

  it('names a recipe file that does not exist', async () => {
    await expect(loadRecipe(join(dir, 'nope.yaml'))).rejects.toMatchObject({ code: 'DATA_MISSING' });
  });
});

describe('bundled recipes', () => {
  it('every recipe in recipes/ passes the checker', async () => {
    const { readdir } = await import('node:fs/promises');
    const folder = join(import.meta.dirname, '../../../recipes');
    const files = (await readdir(folder)).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const r = await loadRecipe(join(folder, f));
      expect(r.recipe.stages.length).toBeGreaterThan(0);
    }
  });
});
