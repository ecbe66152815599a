import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyStructuredPlan, buildDependencyGraph, loadPlan, planByRatio, planFromFile, planToFile, pruneStructured, savePlan, scoreGroups,
} from '../../../src/prune/structure/index.js';
import { encodeModel } from '../../../src/onnx/index.js';
import { buildZooModel } from '../../../src/zoo/index.js';

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

describe('structured plan files', () => {
  const model = buildZooModel('resnet-small');
  const dg = buildDependencyGraph(model);
  const plan = planByRatio(dg, scoreGroups(dg, { criterion: 'l2' }), { ratio: 0.5, roundTo: 8 });

  it('round-trip through a JSON file and apply to the same model as the original plan', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-plan-'));
    dirs.push(dir);
    const path = join(dir, 'plan.json');
    await savePlan(path, dg, plan);
    const text = await readFile(path, 'utf8');
    const json = JSON.parse(text) as ReturnType<typeof planToFile>;
    expect(json.format).toBe('secateurs.structured-plan');
    expect(json.groups[0]).toMatchObject({ id: plan.groups[0]!.id, name: dg.groups[plan.groups[0]!.id]!.name, channels: dg.groups[plan.groups[0]!.id]!.channels });
    const back = await loadPlan(path, buildDependencyGraph(model));
    expect(back).toEqual({ groups: plan.groups.map((e) => ({ id: e.id, prune: [...e.prune] })) });
    const viaTarget = await pruneStructured(model, { criterion: 'taylor', target: { kind: 'plan', plan: back } });   // no data needed: nothing is scored
    expect(encodeModel(viaTarget.model)).toEqual(encodeModel(applyStructuredPlan(model, plan, { graph: dg })));
    expect(viaTarget.macs.pruned).toBeLessThan(viaTarget.macs.dense);
  });

  it('refuses a plan made for another model, naming each group that differs', () => {
    const other = buildDependencyGraph(buildZooModel('lenet5'));
    const foreign = planToFile(other, planByRatio(other, scoreGroups(other), { ratio: 0.5 }));
    expect(() => planFromFile(dg, foreign, 'p.json')).toThrow(/p\.json does not fit this model:\n {2}- groups\[0\]: group 0 is \[.*\] with \d+ channels in this model, \[conv1\/Conv\] with 20 in the plan \(made for another model\?\)/);
  });

  it('names a missing file, bad JSON, another format, another version and bad entries', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-plan-'));
    dirs.push(dir);
    await expect(loadPlan(join(dir, 'none.json'), dg)).rejects.toMatchObject({ code: 'DATA_MISSING' });
    await writeFile(join(dir, 'bad.json'), '{ "format": ');
    await expect(loadPlan(join(dir, 'bad.json'), dg)).rejects.toMatchObject({ code: 'PRUNE_PLAN', message: expect.stringMatching(/is not valid JSON/) });
    expect(() => planFromFile(dg, { groups: [] })).toThrow(/is not a structured plan: expected "format": "secateurs.structured-plan"/);
    expect(() => planFromFile(dg, { format: 'secateurs.structured-plan', version: 2, groups: [] })).toThrow(/plan version 2 is not supported/);
    expect(() => planFromFile(dg, { format: 'secateurs.structured-plan', version: 1, groups: [{ id: 99, prune: [] }, { prune: [1] }] }))
      .toThrow(/groups\[0\]: group 99 does not exist in this model \(\d+ groups\)\n {2}- groups\[1\]: needs an integer "id" and a "prune" list/);
    // Indices are checked when the plan is applied.
    const g = dg.groups.find((x) => !x.blocked)!;
    const outOfRange = planFromFile(dg, { format: 'secateurs.structured-plan', version: 1, groups: [{ id: g.id, name: g.name, sources: g.sources, channels: g.channels, prune: [g.channels] }] });
    await expect(pruneStructured(model, { criterion: 'l2', target: { kind: 'plan', plan: outOfRange } })).rejects.toMatchObject({ code: 'PRUNE_PLAN' });
  });
});
