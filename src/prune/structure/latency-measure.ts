/**
 * Measuring latency tables (see `latency.ts`) with onnxruntime, and caching them in a JSON file keyed by model hash,
 * threads and batch. Every linear layer is rebuilt alone — its op and attributes, pseudo-random weights sliced to
 * the channel counts, the input at the model's shape — and timed at each point of a channel grid; layers with equal
 * shapes and attributes are timed once. The timed model runs several copies of the layer with distinct weights
 * (enough to exceed a 32 MiB cache, at most 16) and divides by their number, so weights come from memory as they do
 * in the whole model; each output is sliced to one element, so onnxruntime's output copy (~1 ms per MiB) does not
 * count, and an empty run's overhead is subtracted.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { SecateursError } from '../../errors.js';
import { attr, GraphBuilder } from '../../ir/builder.js';
import { cloneModel } from '../../ir/clone.js';
import type { Attribute, Model, Node } from '../../ir/graph.js';
import { inferShapes } from '../../ir/shapes/index.js';
import { Tensor } from '../../ir/tensor.js';
import { encodeModel } from '../../onnx/index.js';
import { benchLatency, createSession, percentile } from '../../runtime/index.js';
import { writeFileAtomic } from '../../util/fs.js';
import { Rng } from '../../util/rng.js';
import { hashParts } from '../sensitivity-cache.js';
import type { ChannelAxis, LatencyKey, LatencyTable, LayerTiming } from './latency.js';
import { constantTensor } from './tensors.js';
import type { DependencyGraph } from './types.js';

/** Options of {@link measureLatencyTable} and {@link latencyTable}. */
export interface LatencyTableOptions {
  /** onnxruntime intra-op threads; default 1. */
  readonly threads?: number;
  /** Batch size (dim 0 of the model input); other symbolic dims are 1. Default 1. */
  readonly batch?: number;
  /** Fractions of each layer's channels to time, each in (0, 1]; 1 is always added. Default [0.25, 0.5, 0.75]. */
  readonly fractions?: readonly number[];
  /** Timed channel counts are multiples of this (plans rounded the same way land on grid points); default 1. */
  readonly roundTo?: number;
  /** Timed runs per point (median); default 20. */
  readonly runs?: number;
  /** Untimed runs per point; default 5. */
  readonly warmup?: number;
  /** JSON cache file for {@link latencyTable}; none by default. */
  readonly cache?: string;
  readonly log?: (line: string) => void;
}

const CACHE_FORMAT = 'secateurs/latency-cache';

/**
 * The cache key of a model: SHA-256 of its encoded bytes, threads and batch.
 *
 * @example
 * ```ts
 * latencyKey(model, { threads: 1, batch: 1 }).model.length;   // 64
 * ```
 */
export function latencyKey(model: Model, options: Pick<LatencyTableOptions, 'threads' | 'batch'> = {}): LatencyKey {
  return { model: hashParts(['model', encodeModel(model)]), threads: options.threads ?? 1, batch: options.batch ?? 1 };
}

/**
 * The latency table of `model` from the cache file when it holds one for the same key, else measured (and stored
 * there when `cache` is given).
 *
 * @throws SecateursError `PRUNE_LATENCY_CACHE` for an unreadable or foreign cache file (the message names it).
 * @example
 * ```ts
 * const { table, cached } = await latencyTable(model, dg, { cache: '.cache/latency.json', roundTo: 8 });
 * ```
 */
export async function latencyTable(model: Model, dg: DependencyGraph, options: LatencyTableOptions = {}): Promise<{ table: LatencyTable; cached: boolean }> {
  const key = latencyKey(model, options);
  const tables = options.cache ? await readCache(options.cache) : [];
  const hit = tables.find((t) => sameKey(t.key, key));
  if (hit) return { table: hit, cached: true };
  const table = await measureLatencyTable(model, dg, options, key);
  if (options.cache) {
    const json = { format: CACHE_FORMAT, version: 1, tables: [...tables, table] };
    await writeFileAtomic(options.cache, `${JSON.stringify(json, null, 1)}\n`);
  }
  return { table, cached: false };
}

const sameKey = (a: LatencyKey, b: LatencyKey): boolean => a.model === b.model && a.threads === b.threads && a.batch === b.batch;

async function readCache(file: string): Promise<LatencyTable[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new SecateursError('PRUNE_LATENCY_CACHE', `cannot read latency cache '${file}': ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SecateursError('PRUNE_LATENCY_CACHE', `latency cache '${file}' is not JSON (${(e as Error).message}); delete it to measure again.`, { cause: e });
  }
  const j = json as { format?: unknown; version?: unknown; tables?: unknown };
  if (j.format !== CACHE_FORMAT || j.version !== 1 || !Array.isArray(j.tables)) {
    throw new SecateursError('PRUNE_LATENCY_CACHE', `'${file}' is not a version-1 '${CACHE_FORMAT}' file; delete it or pass another path.`);
  }
  return j.tables as LatencyTable[];
}

/** A layer to time: its node, where its channels are, which sides a group can shrink, and its shapes at the batch. */
interface LayerSpec {
  readonly node: Node;
  readonly input: ChannelAxis;
  readonly output: ChannelAxis;
  readonly inTouched: boolean;
  readonly outTouched: boolean;
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly group: number;
}

/**
 * Measures the latency table of `model` (always; see {@link latencyTable} for the cached form). `dg` must be its
 * dependency graph.
 *
 * @throws RangeError for bad counts or fractions; the runtime's errors (a fixed batch dim other than `batch`).
 * @example
 * ```ts
 * const table = await measureLatencyTable(model, buildDependencyGraph(model), { roundTo: 8 });
 * table.layers.map((l) => [l.node, l.outPoints, l.ms]);
 * ```
 */
export async function measureLatencyTable(model: Model, dg: DependencyGraph, options: LatencyTableOptions = {}, key = latencyKey(model, options)): Promise<LatencyTable> {
  const fractions = [...new Set([...(options.fractions ?? [0.25, 0.5, 0.75]), 1])].sort((a, b) => a - b);
  if (fractions.some((f) => !(f > 0 && f <= 1))) throw new RangeError(`'fractions' must be in (0, 1], got [${fractions.join(', ')}].`);
  const roundTo = options.roundTo ?? 1;
  if (!Number.isInteger(roundTo) || roundTo < 1) throw new RangeError(`'roundTo' must be an integer >= 1, got ${roundTo}.`);
  const bench = { threads: key.threads, runs: options.runs ?? 20, warmup: options.warmup ?? 5 };
  // Every timed model's input has a fixed dim 0 (the batch, or K for a Gemm with transA), which benchLatency must be given.
  const time = async (m: Model, dim0 = key.batch): Promise<number> => (await benchLatency(m, { ...bench, batchSizes: [dim0] }))[0]!.medianMs;
  options.log?.(`latency: timing the dense model (batch ${key.batch}, ${key.threads} thread(s))`);
  const denseMs = await time(model);
  const overheadMs = await time(emptyModel(key.batch));
  const memo = new Map<string, number>();
  const layers: LayerTiming[] = [];
  const specs = layerSpecs(dg, key.batch);
  for (const [i, spec] of specs.entries()) {
    options.log?.(`latency: layer ${i + 1}/${specs.length} '${spec.node.name}' (${spec.node.opType})`);
    layers.push(await timeLayer(spec, fractions, roundTo, overheadMs, memo, time));
  }
  return { format: 'secateurs/latency-table', version: 1, key, denseMs, overheadMs, layers };
}

const LINEAR_OPS = new Set(['Conv', 'Gemm', 'MatMul']);

/** Every Conv/Gemm/MatMul with a constant weight, whether an unblocked group removes its input or output channels, shapes at `batch`. */
function layerSpecs(dg: DependencyGraph, batch: number): LayerSpec[] {
  const touched = new Set<string>();
  for (const g of dg.groups) if (!g.blocked) for (const m of g.members) if (m.kind === 'activation') touched.add(`${m.tensor}|${m.axis}`);
  const fixed = cloneModel(dg.model);
  const dims: Record<string, number> = {};
  const first = fixed.graph.inputs.find((v) => !v.constant)?.shape?.[0];
  for (const v of fixed.graph.allValues()) for (const d of v.shape ?? []) if (typeof d === 'string' && !d.includes('*')) dims[d] = d === first ? batch : 1;
  inferShapes(fixed, { fixedDims: dims });
  const specs: LayerSpec[] = [];
  for (const node of fixed.graph.nodes) {
    if (!LINEAR_OPS.has(node.opType) || (node.domain !== '' && node.domain !== 'ai.onnx')) continue;
    const [xv, wv, yv] = [node.input(0), node.input(1), node.output(0)];
    const w = wv ? constantTensor(wv)?.dims : undefined;
    const x = xv && !constantTensor(xv) ? xv.shape : undefined;
    if (!xv || !yv || !w || !x || !x.every((d): d is number => typeof d === 'number')) continue;
    const inAxis = node.opType === 'Conv' ? 1 : node.opType === 'Gemm' ? (node.attrInt('transA', 0) ? 0 : 1) : x.length - 1;
    const outAxis = node.opType === 'MatMul' ? x.length - 1 : 1;
    const input = { value: xv.name, axis: inAxis };
    const output = { value: yv.name, axis: outAxis };
    const [inTouched, outTouched] = [touched.has(`${input.value}|${inAxis}`), touched.has(`${output.value}|${outAxis}`)];
    specs.push({ node, input, output, inTouched, outTouched, x, w, group: node.opType === 'Conv' ? node.attrInt('group', 1)! : 1 });
  }
  return specs;
}

/** Channel counts at the fractions, multiples of `step`, at least `step`, ending at `dense`. */
function points(dense: number, fractions: readonly number[], step: number): number[] {
  const out = new Set<number>([dense]);
  for (const f of fractions) if (f < 1) out.add(Math.min(dense, Math.max(step, Math.round((f * dense) / step) * step)));
  return [...out].sort((a, b) => a - b);
}

async function timeLayer(s: LayerSpec, fractions: readonly number[], roundTo: number, overhead: number,
  memo: Map<string, number>, time: (m: Model, dim0: number) => Promise<number>): Promise<LayerTiming> {
  const cin = s.x[s.input.axis]!;
  const cout = outChannels(s);
  const measure = async (i: number, o: number, group: number): Promise<number> => {
    const k = layerKey(s, i, o, group);
    if (!memo.has(k)) {
      const { x, w } = shapesAt(s, i, o, group);
      const copies = copiesFor(w);
      memo.set(k, Math.max(0, ((await time(layerModel(s, i, o, group, copies), x[0]!)) - overhead) / copies));
    }
    return memo.get(k)!;
  };
  const base = { node: s.node.name, opType: s.node.opType, input: s.input, output: s.output, inChannels: cin, outChannels: cout };
  if (s.group > 1) {
    const perGroup = cout / s.group;
    const outs = points(cout, fractions, lcm(perGroup, roundTo));
    const ins = outs.map((o) => (o / cout) * cin);
    const row: number[] = [];
    for (const o of outs) row.push(await measure((o / cout) * cin, o, (o / cout) * s.group));
    return { ...base, kind: 'coupled', inPoints: ins, outPoints: outs, ms: [row] };
  }
  const ins = s.inTouched ? points(cin, fractions, roundTo) : [cin];
  const outs = s.outTouched ? points(cout, fractions, roundTo) : [cout];
  const ms: number[][] = [];
  for (const i of ins) {
    const row: number[] = [];
    for (const o of outs) row.push(await measure(i, o, 1));
    ms.push(row);
  }
  return { ...base, kind: 'grid', inPoints: ins, outPoints: outs, ms };
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}

/** Output channels: Conv W[0], Gemm N (W[0] with transB, else W[1]), MatMul W[-1]. */
function outChannels(s: LayerSpec): number {
  if (s.node.opType === 'Conv') return s.w[0]!;
  if (s.node.opType === 'Gemm') return s.node.attrInt('transB', 0) ? s.w[0]! : s.w[1]!;
  return s.w[s.w.length - 1]!;
}

/** Input and weight shapes of the layer at `cin` / `cout` channels. */
function shapesAt(s: LayerSpec, cin: number, cout: number, group: number): { x: number[]; w: number[] } {
  const x = [...s.x];
  x[s.input.axis] = cin;
  const w = [...s.w];
  if (s.node.opType === 'Conv') [w[0], w[1]] = [cout, cin / group];
  else if (s.node.opType === 'Gemm') {
    const transB = s.node.attrInt('transB', 0) !== 0;
    [w[transB ? 0 : 1], w[transB ? 1 : 0]] = [cout, cin];
  } else [w[w.length - 2], w[w.length - 1]] = [cin, cout];
  return { x, w };
}

function layerKey(s: LayerSpec, cin: number, cout: number, group: number): string {
  const attrs = [...s.node.attributes].filter(([k]) => k !== 'group').sort(([a], [b]) => a.localeCompare(b)).map(([k, a]) => `${k}=${JSON.stringify(attrText(a))}`);
  const { x, w } = shapesAt(s, cin, cout, group);
  return [s.node.opType, x.join('x'), w.join('x'), group, s.node.input(2) ? 'bias' : '', ...attrs].join('|');
}

function attrText(a: Attribute): unknown {
  return a.type === 'tensor' || a.type === 'graph' || a.type === 'tensors' || a.type === 'graphs' || a.type === 'opaque' ? a.type : a.value;
}

/** Small pseudo-random values (xorshift; fast for the tens of MB the copies need; the values do not matter). */
function randomTensor(dims: readonly number[], rng: Rng): Tensor {
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  let state = rng.nextU32() | 1;
  for (let i = 0; i < data.length; i++) {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    data[i] = (state % 2001) * 5e-5 - 0.05;
  }
  return Tensor.fromTyped('float32', dims, data);
}

/** Bytes of distinct weights a timed model holds at least (beyond a 32 MiB L3), and the most copies it runs. */
const COLD_BYTES = 48 * 2 ** 20;
const MAX_COPIES = 16;

/** How many copies of a layer with `w` weights the timed model runs. */
function copiesFor(w: readonly number[]): number {
  const bytes = 4 * w.reduce((a, b) => a * b, 1);
  return Math.max(1, Math.min(MAX_COPIES, Math.ceil(COLD_BYTES / bytes)));
}

/**
 * `copies` instances of the layer, each with its own weights, on one input of the model's shape; each output sliced
 * to one element and the slices summed.
 */
function layerModel(s: LayerSpec, cin: number, cout: number, group: number, copies: number): Model {
  const b = new GraphBuilder('layer');
  const rng = new Rng(0);
  const { x, w } = shapesAt(s, cin, cout, group);
  const xin = b.input('x', 'float32', x);
  const attrs: Record<string, Attribute> = Object.fromEntries(s.node.attributes);
  if (s.node.opType === 'Conv') attrs['group'] = attr.int(group);
  const rank = s.node.opType === 'Gemm' ? 2 : x.length;
  const outs = Array.from({ length: copies }, () => {
    const inputs = [xin, b.initializer('w', randomTensor(w, rng))];
    if (s.node.input(2)) inputs.push(b.initializer('bias', randomTensor([cout], rng)));
    return first(b, b.op(s.node.opType, inputs, attrs), rank);
  });
  return finish(b, outs.length === 1 ? outs[0]! : b.op('Sum', outs), rank);
}

/** A model computing only a one-element slice of its input: the fixed cost of a run. */
function emptyModel(batch: number): Model {
  const b = new GraphBuilder('empty');
  return finish(b, first(b, b.input('x', 'float32', [batch, 8]), 2), 2);
}

function first(b: GraphBuilder, y: ReturnType<GraphBuilder['op']>, rank: number): ReturnType<GraphBuilder['op']> {
  return b.op('Slice', [y, b.constI64('starts', new Array<number>(rank).fill(0)), b.constI64('ends', new Array<number>(rank).fill(1))]);
}

function finish(b: GraphBuilder, y: ReturnType<GraphBuilder['op']>, rank: number): Model {
  b.output(y, { name: 'y', dtype: 'float32', shape: new Array<number>(rank).fill(1) });
  return b.model(17);
}

/** What {@link measureLatency} measured: medians of the dense and the pruned model, and their ratio. */
export interface LatencyCheck {
  readonly denseMs: number;
  readonly prunedMs: number;
  /** prunedMs / denseMs */
  readonly fraction: number;
}

/**
 * Measures a pruned model against its dense original in alternating rounds (so that load changes on a shared machine
 * hit both alike): the median over rounds of each round's median.
 *
 * @example
 * ```ts
 * const check = await measureLatency(model, pruned, { runs: 60 });
 * check.fraction;   // e.g. 0.52 for a 0.5 latency target
 * ```
 */
export async function measureLatency(dense: Model, pruned: Model, options: { threads?: number; batch?: number; runs?: number; rounds?: number } = {}): Promise<LatencyCheck> {
  const rounds = options.rounds ?? 5;
  const runs = options.runs ?? 60;
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new RangeError(`'rounds' must be an integer >= 1, got ${rounds}.`);
  if (!Number.isSafeInteger(runs) || runs < rounds) throw new RangeError(`'runs' must be an integer >= rounds (${rounds}), got ${runs}.`);
  const threads = options.threads ?? 1;
  const [a, b] = [await createSession(dense, { threads }), await createSession(pruned, { threads })];
  try {
    const bench = { batchSizes: [options.batch ?? 1], runs: Math.ceil(runs / rounds), warmup: 3 };
    const da: number[] = [];
    const db: number[] = [];
    for (let r = 0; r < rounds; r++) {
      da.push((await benchLatency(a, bench))[0]!.medianMs);
      db.push((await benchLatency(b, bench))[0]!.medianMs);
    }
    const med = (xs: number[]): number => percentile([...xs].sort((x, y) => x - y), 0.5);
    return { denseMs: med(da), prunedMs: med(db), fraction: med(db) / med(da) };
  } finally {
    await a.release();
    await b.release();
  }
}
