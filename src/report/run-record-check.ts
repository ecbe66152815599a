/**
 * Validation of run records: every problem of a parsed `run.json` is collected with its JSON path
 * (`stages[1].metrics.nonzero: expected an integer in [0, 61706], found 70000`), so one error lists them all.
 */
import { isAbsolute } from 'node:path';

type Obj = Readonly<Record<string, unknown>>;

/** What the checker needs from the record format (passed in so this module imports nothing from it). */
export interface RecordSpec {
  readonly version: number;
  readonly kinds: readonly string[];
}

interface Range {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}

function rangeText(r: Range): string {
  const kind = r.integer ? 'an integer' : 'a number';
  if (r.min !== undefined && r.max !== undefined) return `${kind} in [${r.min}, ${r.max}]`;
  if (r.min !== undefined) return `${kind} >= ${r.min}`;
  return `a finite ${kind.replace(/^an? /, '')}`;
}

/** Collects problems; each check returns the value when it has the right kind, for nested checks. */
class Problems {
  readonly list: string[] = [];

  expected(path: string, what: string, found: unknown): void {
    this.list.push(`${path}: expected ${what}, found ${describe(found)}`);
  }

  object(path: string, v: unknown): Obj | undefined {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Obj;
    this.expected(path, 'an object', v);
    return undefined;
  }

  array(path: string, v: unknown): readonly unknown[] | undefined {
    if (Array.isArray(v)) return v;
    this.expected(path, 'an array', v);
    return undefined;
  }

  string(path: string, v: unknown): string | undefined {
    if (typeof v === 'string' && v.length > 0) return v;
    this.expected(path, 'a non-empty string', v);
    return undefined;
  }

  number(path: string, v: unknown, r: Range = {}): number | undefined {
    const ok = typeof v === 'number' && Number.isFinite(v) && (!r.integer || Number.isInteger(v)) &&
      (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);
    if (ok) return v;
    this.expected(path, rangeText(r), v);
    return undefined;
  }

  /** A path inside the run folder: relative, no `..` segment. */
  relativePath(path: string, v: unknown): void {
    const s = this.string(path, v);
    if (s === undefined) return;
    if (isAbsolute(s) || /^[A-Za-z]:[\\/]/.test(s) || s.split(/[\\/]/).includes('..') || s.includes('\0')) {
      this.expected(path, 'a path relative to the run folder (no leading /, no ..)', s);
    }
  }

  strings(path: string, v: unknown): void {
    this.array(path, v)?.forEach((x, i) => this.string(`${path}[${i}]`, x));
  }
}

const COUNT: Range = { min: 0, integer: true };
const FRACTION: Range = { min: 0, max: 1 };

function checkMetrics(p: Problems, path: string, v: unknown): void {
  const m = p.object(path, v);
  if (!m) return;
  if (m.top1 !== undefined) p.number(`${path}.top1`, m.top1, FRACTION);
  if (m.loss !== undefined) p.number(`${path}.loss`, m.loss);
  const params = p.number(`${path}.params`, m.params, COUNT);
  p.number(`${path}.nonzero`, m.nonzero, { min: 0, integer: true, ...(params !== undefined ? { max: params } : {}) });
  const macs = p.number(`${path}.macs`, m.macs, { min: 0 });
  // nonzeroMacs is a sum of products with densities: allow rounding above macs.
  p.number(`${path}.nonzeroMacs`, m.nonzeroMacs, { min: 0, ...(macs !== undefined ? { max: macs * (1 + 1e-9) + 1e-6 } : {}) });
  p.number(`${path}.bytes`, m.bytes, COUNT);
  p.number(`${path}.gzipBytes`, m.gzipBytes, COUNT);
  p.number(`${path}.durationS`, m.durationS, { min: 0 });
  let last = 0;
  p.array(`${path}.latency`, m.latency)?.forEach((x, i) => {
    const l = p.object(`${path}.latency[${i}]`, x);
    if (!l) return;
    const batch = p.number(`${path}.latency[${i}].batch`, l.batch, { min: 1, integer: true });
    p.number(`${path}.latency[${i}].medianMs`, l.medianMs, { min: 0 });
    if (batch !== undefined && batch <= last) p.expected(`${path}.latency[${i}].batch`, `a batch size above ${last} (ascending, each once)`, batch);
    if (batch !== undefined) last = batch;
  });
}

function checkLayer(p: Problems, path: string, v: unknown): void {
  const l = p.object(path, v);
  if (!l) return;
  p.string(`${path}.name`, l.name);
  p.string(`${path}.op`, l.op);
  if (l.weight !== undefined) p.string(`${path}.weight`, l.weight);
  const params = p.number(`${path}.params`, l.params, COUNT);
  p.number(`${path}.nonzero`, l.nonzero, { min: 0, integer: true, ...(params !== undefined ? { max: params } : {}) });
  p.number(`${path}.sparsity`, l.sparsity, FRACTION);
  for (const k of ['channelsBefore', 'channelsAfter'] as const) if (l[k] !== undefined) p.number(`${path}.${k}`, l[k], COUNT);
}

function checkBlocked(p: Problems, path: string, v: unknown): void {
  const b = p.object(path, v);
  if (b) for (const k of ['group', 'node', 'op', 'reason'] as const) p.string(`${path}.${k}`, b[k]);
}

function checkStage(p: Problems, path: string, v: unknown, kinds: readonly string[]): void {
  const s = p.object(path, v);
  if (!s) return;
  p.string(`${path}.name`, s.name);
  if (typeof s.kind !== 'string' || !kinds.includes(s.kind)) p.expected(`${path}.kind`, `one of ${kinds.join(', ')}`, s.kind);
  checkMetrics(p, `${path}.metrics`, s.metrics);
  p.array(`${path}.layers`, s.layers)?.forEach((x, i) => checkLayer(p, `${path}.layers[${i}]`, x));
  p.array(`${path}.blocked`, s.blocked)?.forEach((x, i) => checkBlocked(p, `${path}.blocked[${i}]`, x));
  if (s.model !== undefined) {
    const m = p.object(`${path}.model`, s.model);
    if (m) {
      p.relativePath(`${path}.model.path`, m.path);
      p.number(`${path}.model.bytes`, m.bytes, COUNT);
    }
  }
  p.strings(`${path}.notes`, s.notes);
}

function checkSensitivityResult(p: Problems, path: string, v: unknown): void {
  const r = p.object(path, v);
  if (!r) return;
  p.array(`${path}.rows`, r.rows)?.forEach((x, i) => {
    const row = p.object(`${path}.rows[${i}]`, x);
    if (!row) return;
    p.string(`${path}.rows[${i}].layer`, row.layer);
    p.number(`${path}.rows[${i}].level`, row.level, FRACTION);
    for (const k of ['top1', 'top5', 'loss', 'kl'] as const) if (row[k] !== null) p.number(`${path}.rows[${i}].${k}`, row[k]);
    p.number(`${path}.rows[${i}].params`, row.params, COUNT);
  });
  p.strings(`${path}.layers`, r.layers);
  p.array(`${path}.levels`, r.levels)?.forEach((x, i) => p.number(`${path}.levels[${i}]`, x, FRACTION));
  p.object(`${path}.dense`, r.dense);
  p.string(`${path}.metric`, r.metric);
}

function checkSensitivity(p: Problems, path: string, v: unknown): void {
  const s = p.object(path, v);
  if (!s) return;
  if (s.source === 'embedded') checkSensitivityResult(p, `${path}.result`, s.result);
  else if (s.source === 'file') p.relativePath(`${path}.path`, s.path);
  else p.expected(`${path}.source`, "'embedded' or 'file'", s.source);
  if (s.allocation !== undefined) {
    const a = p.object(`${path}.allocation`, s.allocation);
    if (a) for (const [k, x] of Object.entries(a)) p.number(`${path}.allocation[${JSON.stringify(k)}]`, x, FRACTION);
  }
}

/**
 * Every problem of a parsed run record, as `path: expected ..., found ...` lines (empty when it is valid).
 *
 * @example
 * ```ts
 * recordProblems({ version: 1 }, { version: 1, kinds: RUN_STAGE_KINDS })[0];   // 'title: expected a non-empty string, found nothing'
 * ```
 */
export function recordProblems(raw: unknown, spec: RecordSpec): string[] {
  const p = new Problems();
  const r = p.object('record', raw);
  if (!r) return p.list;
  if (r.version !== spec.version) p.expected('version', String(spec.version), r.version);
  p.string('title', r.title);
  if (p.string('createdAt', r.createdAt) !== undefined && Number.isNaN(Date.parse(r.createdAt as string))) p.expected('createdAt', 'an ISO 8601 time', r.createdAt);
  const tool = p.object('tool', r.tool);
  if (tool) for (const k of ['name', 'version'] as const) p.string(`tool.${k}`, tool[k]);
  const source = p.object('source', r.source);
  if (source) {
    p.string('source.path', source.path);
    p.number('source.params', source.params, COUNT);
    p.number('source.macs', source.macs, { min: 0 });
  }
  const data = p.object('data', r.data);
  if (data) {
    p.string('data.name', data.name);
    p.string('data.split', data.split);
    p.number('data.count', data.count, COUNT);
  }
  const stages = p.array('stages', r.stages);
  stages?.forEach((s, i) => checkStage(p, `stages[${i}]`, s, spec.kinds));
  if (stages && stages.length === 0) p.list.push("stages: expected at least the 'original' stage, found none");
  const first = stages?.[0] as Obj | undefined;
  if (first && typeof first === 'object' && first.kind !== 'original') p.expected('stages[0].kind', "'original' (the first stage is the input model)", first.kind);
  const seen = new Set<unknown>();
  stages?.forEach((s, i) => {
    const name = (s as Obj | null)?.name;
    if (typeof name === 'string' && seen.has(name)) p.expected(`stages[${i}].name`, 'a name no earlier stage has', name);
    seen.add(name);
  });
  if (r.sensitivity !== undefined) checkSensitivity(p, 'sensitivity', r.sensitivity);
  return p.list;
}
