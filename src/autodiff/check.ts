/**
 * The vector-Jacobian finite-difference check every gradient rule is tested with: for random output gradients dY and
 * a random direction v per parameter, ⟨Jᵀ·dY, v⟩ from the built gradient graph (run in onnxruntime) must match the
 * central difference (⟨f(x+εv), dY⟩ − ⟨f(x−εv), dY⟩) / 2ε.
 * @module
 */
import { SecateursError } from '../errors.js';
import type { Model } from '../ir/graph.js';
import { createSession, type Feeds, type TensorData } from '../runtime/index.js';
import { Rng } from '../util/rng.js';
import { buildGradientGraph, type GradientGraph, type GradientOptions } from './backward.js';
import { carriesGradient } from './reach.js';

/** Options of {@link checkGradients}. */
export interface GradCheckOptions {
  /** Values of the graph inputs that are not checked (and of checked ones, else they get seeded N(0, 1) values). */
  readonly feeds?: Feeds;
  /** Graph inputs and initializers to check; default every float graph input and float initializer. */
  readonly wrt?: readonly string[];
  /** Outputs whose vector-Jacobian product is checked; default every float graph output. */
  readonly outputs?: readonly string[];
  /** Seed of dY, v and missing inputs; default 0. */
  readonly seed?: number;
  /** Step ε; default 1e-6 for float64 graphs, 1e-3 for float32. */
  readonly epsilon?: number;
  /** Relative tolerance; default 1e-6 for float64, 2e-2 for float32. */
  readonly rtol?: number;
  /** Absolute tolerance added to it; default 1e-9 for float64, 1e-3 for float32. */
  readonly atol?: number;
  /** Passed to buildGradientGraph (custom rules, contribOps). */
  readonly gradient?: Pick<GradientOptions, 'rules' | 'contribOps'>;
}

/** One checked parameter. */
export interface GradCheckEntry {
  readonly name: string;
  /** ⟨gradient, v⟩ from the gradient graph. */
  readonly analytic: number;
  /** The central difference along v. */
  readonly numeric: number;
  /** |analytic − numeric|. */
  readonly error: number;
  /** atol + rtol·max(|analytic|, |numeric|). */
  readonly allowed: number;
  readonly ok: boolean;
}

/** What {@link checkGradients} found. */
export interface GradCheckResult {
  readonly ok: boolean;
  /** 'float64' when every checked value is float64, else 'float32' (tolerances follow). */
  readonly precision: 'float32' | 'float64';
  readonly epsilon: number;
  readonly entries: readonly GradCheckEntry[];
  /** The gradient graph that was checked. */
  readonly gradient: GradientGraph;
}

/**
 * Runs the vector-Jacobian check on a small model. Keep inputs away from kinks (Relu at 0, Abs at 0, Max ties) by
 * more than ε.
 *
 * @example
 * ```ts
 * const r = await checkGradients(model, { feeds: { x: { dtype: 'float64', dims: [2, 3], data } } });
 * r.entries.map((e) => [e.name, e.analytic, e.numeric]);
 * ```
 */
export async function checkGradients(model: Model, opts: GradCheckOptions = {}): Promise<GradCheckResult> {
  const g = model.graph;
  const wrt = opts.wrt ?? [...g.inputs, ...g.initializers].filter((v) => v.dtype && carriesGradient(v)).map((v) => v.name);
  const outputs = opts.outputs ?? g.outputs.filter((v) => !v.dtype || carriesGradient(v)).map((v) => v.name);
  const rng = new Rng(opts.seed ?? 0);
  const base = baseFeeds(model, wrt, opts.feeds ?? {}, rng);
  const forward = await runOnce(model, base, outputs);
  const gradient = buildGradientGraph(model, { ...opts.gradient, loss: outputs, wrt, seed: 'input' });
  const seeds: Record<string, TensorData> = {};
  gradient.seeds.forEach((s, i) => { seeds[s] = randomLike(forward[outputs[i]!]!, rng); });
  const precision = wrt.every((n) => base[n]!.dtype === 'float64') ? 'float64' : 'float32';
  const eps = opts.epsilon ?? (precision === 'float64' ? 1e-6 : 1e-3);
  const rtol = opts.rtol ?? (precision === 'float64' ? 1e-6 : 2e-2);
  const atol = opts.atol ?? (precision === 'float64' ? 1e-9 : 1e-3);
  const session = await createSession(gradient.model);
  try {
    const feeds = { ...base, ...seeds };
    const grads = await session.run(feeds, gradient.params.map((p) => p.grad));
    const objective = async (f: Feeds): Promise<number> => {
      const out = await session.run(f, outputs);
      return outputs.reduce((s, name, i) => s + dot(out[name]!, seeds[gradient.seeds[i]!]!), 0);
    };
    const entries: GradCheckEntry[] = [];
    for (const p of gradient.params) {
      const x = base[p.name]!;
      const v = randomLike(x, rng);
      const analytic = dot(grads[p.grad]!, v);
      const plus = await objective({ ...feeds, [p.name]: axpy(x, eps, v) });
      const minus = await objective({ ...feeds, [p.name]: axpy(x, -eps, v) });
      const numeric = (plus - minus) / (2 * eps);
      const error = Math.abs(analytic - numeric);
      const allowed = atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric));
      entries.push({ name: p.name, analytic, numeric, error, allowed, ok: error <= allowed });
    }
    return { ok: entries.every((e) => e.ok), precision, epsilon: eps, entries, gradient };
  } finally {
    await session.release();
  }
}

/**
 * {@link checkGradients}, throwing SecateursError('AUTODIFF_CHECK') with one line per parameter when any is off.
 *
 * @example
 * ```ts
 * await assertGradients(model, { feeds, wrt: ['A', 'B'] });
 * ```
 */
export async function assertGradients(model: Model, opts: GradCheckOptions = {}): Promise<GradCheckResult> {
  const r = await checkGradients(model, opts);
  if (r.ok) return r;
  const ops = [...new Set(model.graph.nodes.map((n) => n.opType))].join(', ');
  const lines = r.entries.map((e) => `${e.ok ? 'ok ' : 'BAD'} '${e.name}': analytic ${e.analytic.toPrecision(10)} vs numeric ${e.numeric.toPrecision(10)} ` +
    `(error ${e.error.toExponential(2)}, allowed ${e.allowed.toExponential(2)})`);
  throw new SecateursError('AUTODIFF_CHECK', `gradient check of graph '${model.graph.name}' (${ops}; ${r.precision}, ε=${r.epsilon.toExponential(0)}) failed:\n  ${lines.join('\n  ')}`);
}

/** Feeds for every graph input plus the checked initializers' values; missing float inputs get N(0, 1) values. */
function baseFeeds(model: Model, wrt: readonly string[], given: Feeds, rng: Rng): Record<string, TensorData> {
  const g = model.graph;
  const feeds: Record<string, TensorData> = { ...given };
  for (const v of g.inputs) {
    if (feeds[v.name] || v.constant) continue;
    const dims = v.shape ?? [];
    if (!v.dtype || !carriesGradient(v) || !dims.every((d): d is number => typeof d === 'number')) {
      throw new RangeError(`checkGradients: no feed for input '${v.name}' (give it in 'feeds'; only float inputs of static shape are generated).`);
    }
    feeds[v.name] = randomLike({ dtype: v.dtype, dims, data: new Float64Array(0) }, rng);
  }
  for (const name of wrt) {
    if (feeds[name]) continue;
    const c = g.value(name)?.constant;
    if (!c) throw new RangeError(`checkGradients: '${name}' is not an input or initializer of graph '${g.name}'.`);
    feeds[name] = { dtype: c.dtype, dims: c.dims, data: c.view() };
  }
  return feeds;
}

async function runOnce(model: Model, feeds: Feeds, outputs: readonly string[]): Promise<Record<string, TensorData>> {
  const s = await createSession(model);
  try {
    const inputs = Object.fromEntries(s.inputNames.map((n) => [n, feeds[n]!]));
    return await s.run(inputs, outputs);
  } finally {
    await s.release();
  }
}

function randomLike(t: TensorData, rng: Rng): TensorData {
  const n = t.dims.reduce((a, b) => a * b, 1);
  const data = t.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal();
  return { dtype: t.dtype === 'float64' ? 'float64' : 'float32', dims: t.dims, data };
}

function values(t: TensorData): ArrayLike<number> {
  if (Array.isArray(t.data) || t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) {
    throw new TypeError(`expected a float tensor, got ${t.dtype}.`);
  }
  return t.data as ArrayLike<number>;
}

function dot(a: TensorData, b: TensorData): number {
  const x = values(a), y = values(b);
  if (x.length !== y.length) throw new RangeError(`dot: ${x.length} vs ${y.length} elements.`);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

function axpy(x: TensorData, a: number, v: TensorData): TensorData {
  const xs = values(x), vs = values(v);
  const data = x.dtype === 'float64' ? new Float64Array(xs.length) : new Float32Array(xs.length);
  for (let i = 0; i < xs.length; i++) data[i] = xs[i]! + a * vs[i]!;
  return { dtype: x.dtype, dims: x.dims, data };
}
