import { expect } from 'vitest';
import { assertGradients, type GradCheckOptions, type GradCheckResult } from '../../src/autodiff/index.js';
import { GraphBuilder, type AttrMap } from '../../src/ir/builder.js';
import type { DataType } from '../../src/ir/dtype.js';
import type { Dim, Model, Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import type { TensorData } from '../../src/runtime/index.js';
import { Rng } from '../../src/util/rng.js';

/** One input of a test graph: declared shape (may be symbolic), actual dims, dtype, values or a value range. */
export interface In {
  readonly name: string;
  readonly dims: readonly number[];
  /** Declared shape; default `dims`. */
  readonly shape?: readonly Dim[];
  readonly dtype?: DataType;
  /** Explicit values; default uniform in `range`. */
  readonly data?: readonly number[];
  /** Uniform range of generated values; default [-2, 2]. `away` keeps |x| ≥ away (off kinks at 0). */
  readonly range?: readonly [number, number];
  readonly away?: number;
  /** Make it an initializer instead of a graph input. */
  readonly init?: boolean;
  /** Not checked (indices, shapes, conditions): default true for integer and bool inputs. */
  readonly fixed?: boolean;
}

/** Seeded values in [lo, hi], pushed off zero by `away`. */
export function values(n: number, seed: number, range: readonly [number, number] = [-2, 2], away = 0): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    let x = range[0] + (range[1] - range[0]) * rng.next();
    if (Math.abs(x) < away) x = x < 0 ? x - away : x + away;
    return x;
  });
}

function typedData(dtype: DataType, data: readonly number[]): TensorData['data'] {
  return Tensor.fromArray(dtype, [data.length], data).view();
}

/** A test model around one op (or a few, via `build`), with feeds and the names to check. */
export interface OpCase {
  readonly model: Model;
  readonly feeds: Record<string, TensorData>;
  readonly wrt: string[];
}

/**
 * Builds `op(inputs)` (or `build(b, inputs)`) as a model; every output is a graph output. Float inputs that are not
 * `fixed` are checked.
 */
export function opCase(
  op: string | ((b: GraphBuilder, xs: Value[]) => Value | Value[]), ins: readonly In[], attrs: AttrMap = {},
  o: { opset?: number; domain?: string; outputs?: number; dtype?: DataType; seed?: number; out?: readonly (readonly Dim[])[] } = {},
): OpCase {
  const b = new GraphBuilder(typeof op === 'string' ? op.toLowerCase() : 'case');
  const feeds: Record<string, TensorData> = {};
  const wrt: string[] = [];
  const xs = ins.map((spec, k) => {
    const dtype = spec.dtype ?? o.dtype ?? 'float64';
    const n = spec.dims.reduce((a, c) => a * c, 1);
    const data = spec.data ?? values(n, (o.seed ?? 1) * 100 + k, spec.range, spec.away);
    const fixed = spec.fixed ?? (dtype !== 'float32' && dtype !== 'float64');
    if (!fixed) wrt.push(spec.name);
    if (spec.init) return b.graph.addInitializer(spec.name, Tensor.fromArray(dtype, spec.dims, data));
    feeds[spec.name] = { dtype, dims: spec.dims, data: typedData(dtype, data) };
    return b.input(spec.name, dtype, spec.shape ?? spec.dims);
  });
  let outs: Value[];
  if (typeof op === 'string') {
    outs = o.outputs && o.outputs > 1 ? b.opN(op, xs, o.outputs, attrs, { domain: o.domain ?? '' }) : [b.op(op, xs, attrs, { domain: o.domain ?? '' })];
  } else {
    const r = op(b, xs);
    outs = Array.isArray(r) ? r : [r];
  }
  // Declared output shapes, for ops shape inference does not know.
  outs.forEach((v, i) => b.output(v, o.out?.[i] ? { dtype: o.dtype ?? 'float64', shape: o.out[i]! } : {}));
  const model = b.model(o.opset ?? 17);
  if (o.domain) model.opsets.set(o.domain, 1);
  return { model, feeds, wrt };
}

/** Runs the finite-difference check and expects it to pass (the error message carries the table). */
export async function expectGradOk(c: OpCase, opts: GradCheckOptions = {}): Promise<GradCheckResult> {
  const r = await assertGradients(c.model, { feeds: c.feeds, wrt: c.wrt, ...opts });
  expect(r.ok).toBe(true);
  expect(r.entries.length).toBe(opts.wrt?.length ?? c.wrt.length);
  return r;
}

/** Shorthand for an input spec. */
export function inp(name: string, dims: readonly number[], extra: Omit<In, 'name' | 'dims'> = {}): In {
  return { name, dims, ...extra };
}

/** int64 constant initializer spec (axes, shapes, indices). */
export function ints(name: string, data: readonly number[], dims: readonly number[] = [data.length]): In {
  return { name, dims, data, dtype: 'int64', init: true };
}
