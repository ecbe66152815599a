/**
 * Reading a recipe: YAML or JSON parsed with positions, checked against the JSON Schema (every problem, with its line),
 * then the rules a schema cannot state (stage order, files that must exist). Nothing runs until all of it passes.
 */
import { access, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { BUILTIN_DATASETS } from '../../data/index.js';
import { SecateursError } from '../../errors.js';
import { isZooName, ZOO } from '../../zoo/index.js';
import { RECIPE_SCHEMA, STAGE_KINDS, type Recipe, type Stage } from './schema.js';

/** A recipe with its file's folder, against which its relative paths resolve. */
export interface LoadedRecipe {
  readonly recipe: Recipe;
  readonly path: string;
  /** The recipe file's text (its hash names the run a resume must match). */
  readonly text: string;
  /** Resolves a path written in the recipe. */
  readonly resolvePath: (p: string) => string;
}

const ajv = new Ajv2020.default({ allErrors: true, discriminator: true, strict: true });
const validateSchema = ajv.compile<Recipe>(RECIPE_SCHEMA);

/**
 * Reads and checks a recipe file, listing every problem before any work starts.
 *
 * @throws SecateursError `DATA_MISSING` when the file is absent, `RECIPE_INVALID` with one line per problem (YAML
 *   syntax, unknown keys, wrong types or ranges, stage order, missing model/teacher/data files).
 * @example
 * ```ts
 * const { recipe } = await loadRecipe('recipes/lenet5-deploy.yaml');
 * recipe.stages.map((s) => s.kind);   // ['prune', 'finetune', 'quantize', 'export']
 * ```
 */
export async function loadRecipe(path: string): Promise<LoadedRecipe> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SecateursError('DATA_MISSING', `cannot read recipe ${path}: ${(e as Error).message}`, { cause: e });
  }
  return checkRecipeText(text, path);
}

/** {@link loadRecipe} on a recipe's text; `path` locates relative paths and names the file in messages. */
export async function checkRecipeText(text: string, path: string): Promise<LoadedRecipe> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const fail = (problems: readonly string[]): never => {
    throw new SecateursError('RECIPE_INVALID', `recipe ${path} has ${problems.length} problem${problems.length > 1 ? 's' : ''}:\n  - ${problems.join('\n  - ')}`);
  };
  if (doc.errors.length > 0) fail(doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`));
  const value: unknown = doc.toJS();
  if (!validateSchema(value)) fail(schemaProblems(validateSchema.errors ?? [], doc, lines));
  const recipe = value as Recipe;
  const base = dirname(resolve(path));
  const resolvePath = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const problems = [...orderProblems(recipe.stages), ...(await fileProblems(recipe, resolvePath))];
  if (problems.length > 0) fail(problems);
  return { recipe, path, text, resolvePath };
}

/** Schema errors as `line N: where: what`, the discriminator's echo of an unknown kind left out. */
function schemaProblems(errors: readonly ErrorObject[], doc: Document, lines: LineCounter): string[] {
  const out: string[] = [];
  for (const e of errors) {
    if (e.keyword === 'discriminator' || e.keyword === 'oneOf') continue;
    const path = e.instancePath.split('/').slice(1).map((k) => (/^\d+$/.test(k) ? Number(k) : k.replaceAll('~1', '/').replaceAll('~0', '~')));
    const where = path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '') || '(top level)';
    out.push(`${lineOf(doc, lines, path)}${where}: ${describe(e, path, doc)}`);
  }
  return out;
}

function lineOf(doc: Document, lines: LineCounter, path: readonly (string | number)[]): string {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return `line ${lines.linePos(node.range[0]).line}: `;
  }
  return '';
}

function describe(e: ErrorObject, path: readonly (string | number)[], doc: Document): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = knownKeys(e.schemaPath);
      const near = known.find((k) => editDistance(k, key) <= 2);
      return `unknown key '${key}'${near ? ` (did you mean '${near}'?)` : ''}${known.length > 0 ? `; allowed: ${known.join(', ')}` : ''}`;
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const got = String(doc.getIn([...path]));
      const near = allowed.find((k) => editDistance(k, got) <= 2);
      return `'${got}' is not one of ${allowed.join(', ')}${near ? ` (did you mean '${near}'?)` : ''}`;
    }
    case 'required': return `missing required key '${String(p.missingProperty)}'`;
    case 'const': return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'type': return `must be ${p.type === 'integer' ? 'an integer' : `a ${String(p.type)}`}, got ${JSON.stringify(doc.getIn([...path]))}`;
    default: return `${e.message ?? 'invalid'}, got ${JSON.stringify(doc.getIn([...path]))}`;
  }
}

/** The property names the schema allows where `schemaPath` points (an `additionalProperties` keyword). */
function knownKeys(schemaPath: string): string[] {
  let node: unknown = RECIPE_SCHEMA;
  for (const part of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) node = (node as Record<string, unknown>)[part];
  const props = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props).filter((k) => k !== 'kind') : [];
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** Stages that change weights or structure, which quantization must follow. */
const BEFORE_QUANTIZE: ReadonlySet<Stage['kind']> = new Set(['prune', 'structured', 'finetune', 'distill', 'recalibrate']);

/** The order rules: quantize after every weight-changing stage, export last, one of each, a stage per purpose. */
export function orderProblems(stages: readonly Stage[]): string[] {
  const p: string[] = [];
  const at = (kind: Stage['kind']): number[] => stages.flatMap((s, i) => (s.kind === kind ? [i] : []));
  const name = (i: number): string => `stages[${i}] (${stages[i]!.kind})`;
  for (const kind of ['quantize', 'export'] as const) {
    const idx = at(kind);
    if (idx.length > 1) p.push(`${idx.map(name).join(' and ')}: at most one ${kind} stage`);
  }
  const q = at('quantize')[0];
  if (q !== undefined) {
    stages.forEach((s, i) => {
      if (i > q && BEFORE_QUANTIZE.has(s.kind)) p.push(`${name(i)} comes after ${name(q)}: ${s.kind} needs float weights, so quantize must come after every prune, structured, finetune, distill and recalibrate stage`);
    });
  }
  const e = at('export')[0];
  if (e !== undefined && e !== stages.length - 1) p.push(`${name(e)} must be the last stage (it writes the final file); ${stages.length - 1 - e} stage(s) follow it`);
  const exp = stages[e ?? -1];
  if (exp?.kind === 'export' && q !== undefined && exp.format !== undefined && exp.format !== 'auto' && exp.format !== 'dense' && exp.format !== 'sparse') {
    p.push(`${name(e!)}: format '${exp.format}' quantizes again after ${name(q)}; use 'auto', 'dense' or 'sparse'`);
  }
  stages.forEach((s, i) => {
    if (s.kind === 'prune' && s.schedule === 'agp' && !s.train) p.push(`${name(i)}: schedule 'agp' prunes while training, so it needs 'train' (at least 'epochs')`);
    if (s.kind === 'prune' && s.schedule === 'agp' && s.criterion !== undefined && s.criterion !== 'magnitude') p.push(`${name(i)}: schedule 'agp' recomputes masks by magnitude; criterion '${s.criterion}' works only with 'oneshot'`);
    if (s.kind === 'prune' && s.sparsity === undefined && !/^\d+:\d+$/.test(s.granularity ?? '')) p.push(`${name(i)}: missing 'sparsity' (only N:M granularity fixes it by itself)`);
    if (s.kind === 'prune' && /^\d+:\d+$/.test(s.granularity ?? '')) {
      const [n, m] = s.granularity!.split(':').map(Number) as [number, number];
      if (!(n >= 1 && n < m)) p.push(`${name(i)}: granularity '${s.granularity}' needs 1 <= N < M`);
    }
    if (s.kind === 'structured' && [s.ratio, s.targetParams, s.targetMacs, s.targetLatency].filter((v) => v !== undefined).length !== 1) {
      p.push(`${name(i)}: give exactly one of 'ratio', 'targetParams', 'targetMacs' and 'targetLatency'`);
    }
    if (s.kind === 'quantize' && s.bits === 4 && s.mode !== 'weight-only') p.push(`${name(i)}: 4 bits are for mode 'weight-only'`);
  });
  return p;
}

/** The model, teacher and data files must exist (zoo models and built-in datasets are looked up by name). */
async function fileProblems(recipe: Recipe, resolvePath: (p: string) => string): Promise<string[]> {
  const p: string[] = [];
  const exists = async (f: string): Promise<boolean> => access(f).then(() => true, () => false);
  if (recipe.model.startsWith('zoo:')) {
    const name = recipe.model.slice(4);
    if (!isZooName(name)) p.push(`model: no zoo model '${name}'; zoo models: ${Object.keys(ZOO).join(', ')}`);
  } else if (!(await exists(resolvePath(recipe.model)))) {
    p.push(`model: file ${resolvePath(recipe.model)} does not exist`);
  }
  const ds = recipe.data.dataset;
  if (!BUILTIN_DATASETS.includes(ds)) {
    if (!ds.endsWith('.npz')) p.push(`data.dataset: '${ds}' is neither a built-in dataset (${BUILTIN_DATASETS.join(', ')}) nor an .npz file`);
    else if (!(await exists(resolvePath(ds)))) p.push(`data.dataset: file ${resolvePath(ds)} does not exist`);
  }
  for (const [i, s] of recipe.stages.entries()) {
    if (s.kind === 'distill' && s.teacher !== undefined && s.teacher !== 'original' && !(await exists(resolvePath(s.teacher)))) {
      p.push(`stages[${i}] (distill): teacher file ${resolvePath(s.teacher)} does not exist`);
    }
  }
  return p;
}

export { STAGE_KINDS };
