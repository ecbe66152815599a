/**
 * Structured plans as JSON files: a plan made once (by any criterion and target) can be read, reviewed or edited, and
 * applied again to the same model. The file names each group by its source layers and channel count as well as its
 * id, so a plan made for another model (or another version of this one) is refused with the groups that differ.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { SecateursError } from '../../errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { DependencyGraph, StructuredPlan } from './types.js';

/** The `format` field of a plan file. */
export const PLAN_FORMAT = 'secateurs.structured-plan';

/** A plan file (version 1). */
export interface PlanFile {
  readonly format: typeof PLAN_FORMAT;
  readonly version: 1;
  /** The graph name of the model the plan was made for (informational). */
  readonly model: string;
  readonly groups: readonly {
    readonly id: number;
    /** The group's first source layer, its source layers and channel count in that model: checked on load. */
    readonly name: string;
    readonly sources: readonly string[];
    readonly channels: number;
    /** Channel indices removed, ascending. */
    readonly prune: readonly number[];
  }[];
}

/**
 * The plan as a {@link PlanFile} object.
 *
 * @example
 * ```ts
 * planToFile(dg, plan).groups[0];   // { id: 0, name: 'conv1/Conv', sources: ['conv1/Conv'], channels: 20, prune: [3, 7] }
 * ```
 */
export function planToFile(dg: DependencyGraph, plan: StructuredPlan): PlanFile {
  return {
    format: PLAN_FORMAT, version: 1, model: dg.model.graph.name,
    groups: plan.groups.map((e) => {
      const g = dg.groups[e.id];
      if (!g) throw new RangeError(`planToFile: group ${e.id} is not in the graph (${dg.groups.length} groups).`);
      return { id: e.id, name: g.name, sources: [...g.sources], channels: g.channels, prune: [...e.prune].sort((a, b) => a - b) };
    }),
  };
}

/**
 * Reads a plan object (parsed JSON) against `dg`: the format, and for every entry that its group exists with the same
 * source layers and channel count. Channel indices are checked when the plan is applied (`checkPlan`).
 *
 * @throws SecateursError `PRUNE_PLAN` listing every problem.
 */
export function planFromFile(dg: DependencyGraph, data: unknown, where = 'plan'): StructuredPlan {
  const problems: string[] = [];
  const obj = data as Partial<PlanFile> | null;
  if (typeof obj !== 'object' || obj === null || obj.format !== PLAN_FORMAT) {
    throw new SecateursError('PRUNE_PLAN', `${where} is not a structured plan: expected "format": "${PLAN_FORMAT}".`);
  }
  if (obj.version !== 1) throw new SecateursError('PRUNE_PLAN', `${where}: plan version ${String(obj.version)} is not supported (this version reads 1).`);
  if (!Array.isArray(obj.groups)) throw new SecateursError('PRUNE_PLAN', `${where}: "groups" must be a list.`);
  const groups: { id: number; prune: number[] }[] = [];
  obj.groups.forEach((e, i) => {
    const at = `groups[${i}]`;
    if (typeof e !== 'object' || e === null || !Number.isInteger(e.id) || !Array.isArray(e.prune)) {
      problems.push(`${at}: needs an integer "id" and a "prune" list`);
      return;
    }
    const g = dg.groups[e.id];
    if (!g) {
      problems.push(`${at}: group ${e.id} does not exist in this model (${dg.groups.length} groups)`);
      return;
    }
    const same = g.channels === e.channels && JSON.stringify(g.sources) === JSON.stringify(e.sources);
    if (!same) {
      problems.push(`${at}: group ${e.id} is [${g.sources.join(', ')}] with ${g.channels} channels in this model, ` +
        `[${(e.sources ?? []).join(', ')}] with ${String(e.channels)} in the plan (made for another model?)`);
      return;
    }
    groups.push({ id: e.id, prune: e.prune.map(Number) });
  });
  if (problems.length > 0) throw new SecateursError('PRUNE_PLAN', `${where} does not fit this model:\n  - ${problems.join('\n  - ')}`);
  return { groups };
}

/** Writes the plan as pretty JSON, atomically. */
export async function savePlan(path: string, dg: DependencyGraph, plan: StructuredPlan): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(planToFile(dg, plan), null, 1)}\n`);
}

/**
 * Reads a plan file against `dg`.
 *
 * @throws SecateursError `DATA_MISSING` for a missing file, `PRUNE_PLAN` for malformed JSON or a plan that does not fit.
 */
export async function loadPlan(path: string, dg: DependencyGraph): Promise<StructuredPlan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SecateursError('DATA_MISSING', `plan file ${path} does not exist.`);
    throw e;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SecateursError('PRUNE_PLAN', `plan file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return planFromFile(dg, data, `plan file ${path}`);
}
