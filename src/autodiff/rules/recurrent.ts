/**
 * Recurrent layers train by unrolling: {@link unrollRecurrent} rewrites LSTM and GRU nodes into per-timestep MatMul,
 * Add, Sigmoid, Tanh, Mul, Split and Concat nodes, which the standard gradient rules differentiate (backpropagation
 * through time falls out of the unrolled graph). The input projection of all timesteps is one MatMul; each step adds
 * one MatMul with the recurrent weights.
 * @module
 */
import { SecateursError } from '../../errors.js';
import { GraphBuilder } from '../../ir/builder.js';
import { cloneModel } from '../../ir/clone.js';
import type { DataType } from '../../ir/dtype.js';
import type { Dim, Model, Node, Value } from '../../ir/graph.js';
import { toposort } from '../../ir/passes.js';
import { inferShapes } from '../../ir/shapes/index.js';
import { constNumbers, i64, split, squeeze, transpose, unsqueeze, zerosOfShape } from '../ops.js';
import type { Emitter } from '../types.js';

/** What {@link unrollRecurrent} returns. */
export interface UnrolledModel {
  /** The rewritten model (the source is not changed); every output keeps its name. */
  readonly model: Model;
  /** Names of the LSTM and GRU nodes that were unrolled, in graph order. */
  readonly unrolled: readonly string[];
}

const DEFAULT_ACTIVATIONS: Readonly<Record<string, readonly string[]>> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'] };

/** The static facts of one recurrent node, checked. */
interface Cell {
  readonly node: Node;
  readonly name: string;
  readonly kind: 'LSTM' | 'GRU';
  readonly hidden: number;
  readonly steps: number;
  readonly directions: readonly ('forward' | 'reverse')[];
  readonly layout: number;
  readonly dtype: DataType;
}

/** Checks one node; returns the problems found (all of them) or its facts. */
function readCell(node: Node, name: string): Cell | string[] {
  const kind = node.opType as 'LSTM' | 'GRU';
  const problems: string[] = [];
  const direction = node.attrString('direction', 'forward');
  const directions = direction === 'bidirectional' ? ['forward', 'reverse'] as const : [direction as 'forward' | 'reverse'];
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) problems.push(`direction '${direction}' is not forward, reverse or bidirectional`);
  const a = node.attributes.get('activations');
  const acts = a?.type === 'strings' ? a.value : undefined;
  const want = directions.flatMap(() => DEFAULT_ACTIVATIONS[kind]!);
  if (acts && acts.join().toLowerCase() !== want.join().toLowerCase()) problems.push(`activations [${acts.join(', ')}] are not the defaults [${want.join(', ')}]`);
  for (const k of ['activation_alpha', 'activation_beta', 'clip']) if (node.attributes.has(k)) problems.push(`attribute '${k}' is not supported`);
  if (kind === 'LSTM' && node.attrInt('input_forget', 0) !== 0) problems.push('input_forget=1 is not supported');
  const layout = node.attrInt('layout', 0);
  const x = node.input(0);
  const steps = x?.shape?.[layout === 0 ? 0 : 1];
  if (typeof steps !== 'number') problems.push(`the sequence length of input '${x?.name ?? '?'}' must be static (found ${x?.shape ? `[${x.shape.join(', ')}]` : 'an unknown shape'})`);
  const lens = node.input(4);
  const lensValues = constNumbers(lens);
  if (lens && (!lensValues || lensValues.some((l) => l !== steps))) problems.push(`sequence_lens must be absent or a constant equal to the sequence length ${steps}`);
  const hidden = node.attrInt('hidden_size') ?? node.input(2)?.shape?.[2];
  if (typeof hidden !== 'number') problems.push(`attribute 'hidden_size' is missing`);
  if (!x?.dtype) problems.push(`the element type of input '${x?.name ?? '?'}' is unknown`);
  if (problems.length > 0) return problems.map((p) => `node '${name}' (${kind}): ${p}`);
  return { node, name, kind, hidden: hidden as number, steps: steps as number, directions, layout, dtype: x!.dtype! };
}

/**
 * Rewrites every ai.onnx LSTM and GRU node into an unrolled graph of standard ops with the same outputs (Y, Y_h and,
 * for LSTM, Y_c keep their names). Supported: forward, reverse and bidirectional; layout 0 and 1; bias, initial
 * states and LSTM peepholes present or absent; GRU linear_before_reset 0 and 1. The sequence length must be static
 * (the batch may be symbolic). Not supported, with an error naming node and attribute: non-default activations,
 * activation_alpha/beta, clip, LSTM input_forget=1, and a sequence_lens that is not the full length everywhere.
 *
 * @throws SecateursError `AUTODIFF_UNSUPPORTED` listing every problem of every node.
 * @example
 * ```ts
 * const { model: flat, unrolled } = unrollRecurrent(model);   // unrolled: ['rnn']
 * const grads = buildGradientGraph(flat, { loss: 'y_h', wrt: ['W', 'R', 'B'] });
 * ```
 */
export function unrollRecurrent(model: Model): UnrolledModel {
  const out = cloneModel(model);
  inferShapes(out);
  const g = out.graph;
  const e: Emitter = { b: new GraphBuilder(g), opset: out.opsets.get('') ?? out.opsets.get('ai.onnx') ?? 0 };
  const nodes = g.nodes.filter((n) => (n.opType === 'LSTM' || n.opType === 'GRU') && (n.domain === '' || n.domain === 'ai.onnx'));
  const cells = nodes.map((n, k) => readCell(n, n.name || `${n.opType}_${k}`));
  const problems = cells.filter((c): c is string[] => Array.isArray(c)).flat();
  if (problems.length > 0) throw new SecateursError('AUTODIFF_UNSUPPORTED', `unrollRecurrent(graph '${g.name}'): ${problems.join('; ')}.`);
  for (const cell of cells as Cell[]) scoped(e.b, cell.name, () => unrollCell(e, cell));
  toposort(g);
  return { model: out, unrolled: (cells as Cell[]).map((c) => c.name) };
}

/** The states one direction produced: H at every step (time order) and the final H and C. */
interface DirectionOut {
  readonly hs: Value[];
  readonly lastH: Value;
  readonly lastC: Value | undefined;
}

function unrollCell(e: Emitter, c: Cell): void {
  const { b } = e;
  const { node } = c;
  const input = (i: number): Value | undefined => node.input(i);
  const x = c.layout === 0 ? input(0)! : transpose(e, input(0)!, [1, 0, 2]);
  const state = (v: Value | undefined): Value | undefined => (v && c.layout !== 0 ? transpose(e, v, [1, 0, 2]) : v);
  const dirs = c.directions.length;
  const pick = (v: Value | undefined): (Value | undefined)[] => (v ? perDirection(e, v, dirs) : c.directions.map(() => undefined));
  const [ws, rs, bs, h0s, c0s, ps] = [pick(input(1)), pick(input(2)), pick(input(3)), pick(state(input(5))), pick(state(input(6))), pick(input(7))];
  const batch = b.op('Gather', [b.op('Shape', [x]), i64(e, [1], 'batch_axis')], { axis: 0 });
  const zeros = (): Value => zerosOfShape(e, b.op('Concat', [batch, i64(e, [c.hidden], 'hidden')], { axis: 0 }), c.dtype);
  const results = c.directions.map((dir, d) => b.scope(dir, () => {
    const w = { W: ws[d]!, R: rs[d]!, B: bs[d], P: ps[d] };
    const h0 = h0s[d] ?? zeros();
    return c.kind === 'LSTM' ? lstm(e, c, x, w, dir, h0, c0s[d] ?? zeros()) : gru(e, c, x, w, dir, h0);
  }));
  const stack = (vs: Value[], axes: number[], axis: number): Value =>
    (vs.length === 1 ? unsqueeze(e, vs[0]!, axes) : b.op('Concat', vs.map((v) => unsqueeze(e, v, axes)), { axis }));
  const perDir = (vs: Value[]): Value => (vs.length === 1 ? vs[0]! : b.op('Concat', vs, { axis: 1 }));
  // Only the outputs the node has are built; layout 1 puts the batch first.
  const wanted = (i: number, build: () => Value, perm: number[]): Value | undefined => {
    if (!node.output(i)) return undefined;
    const v = build();
    return c.layout === 0 ? v : transpose(e, v, perm);
  };
  const y = wanted(0, () => perDir(results.map((r) => stack(r.hs, [0, 1], 0))), [2, 0, 1, 3]);
  const yh = wanted(1, () => stack(results.map((r) => r.lastH), [0], 0), [1, 0, 2]);
  const yc = c.kind === 'LSTM' ? wanted(2, () => stack(results.map((r) => r.lastC!), [0], 0), [1, 0, 2]) : undefined;
  takeOver(e, node, [y, yh, yc], c.dtype);
}

/** Splits a [directions, …] value into one [...] value per direction. */
function perDirection(e: Emitter, v: Value, dirs: number): Value[] {
  const parts = dirs === 1 ? [v] : split(e, v, 0, new Array<number>(dirs).fill(1), dirs);
  return parts.map((p) => squeeze(e, p, [0]));
}

interface Weights {
  readonly W: Value;
  readonly R: Value;
  readonly B: Value | undefined;
  readonly P: Value | undefined;
}

/** X·Wᵀ (+ bias) for every step at once, split into one [batch, gates·hidden] value per step (time order). */
function inputProjection(e: Emitter, c: Cell, x: Value, W: Value, bias: Value | undefined): Value[] {
  const { b } = e;
  let xw = b.op('MatMul', [x, transpose(e, W, [1, 0])]);
  if (bias) xw = b.op('Add', [xw, bias]);
  const parts = c.steps === 1 ? [xw] : split(e, xw, 0, new Array<number>(c.steps).fill(1), c.steps);
  return parts.map((p) => squeeze(e, p, [0]));
}

/** The two halves [Wb, Rb] of a [2·gates·hidden] bias. */
function biasHalves(e: Emitter, c: Cell, B: Value, gates: number): [Value, Value] {
  const [wb, rb] = split(e, B, 0, [gates * c.hidden, gates * c.hidden], 2);
  return [wb!, rb!];
}

/** Step indices in processing order. */
function order(c: Cell, dir: 'forward' | 'reverse'): number[] {
  const ts = Array.from({ length: c.steps }, (_, t) => t);
  return dir === 'forward' ? ts : ts.reverse();
}

/**
 * One LSTM direction (gate order i, o, f, c): i = σ(xᵢ + H·Rᵢᵀ + Pᵢ⊙C), f = σ(x_f + H·R_fᵀ + P_f⊙C),
 * c̃ = tanh(x_c + H·R_cᵀ), C' = f⊙C + i⊙c̃, o = σ(x_o + H·R_oᵀ + P_o⊙C'), H' = o⊙tanh(C'); biases Wb + Rb folded
 * into the input projection.
 */
function lstm(e: Emitter, c: Cell, x: Value, w: Weights, dir: 'forward' | 'reverse', h0: Value, c0: Value): DirectionOut {
  const { b } = e;
  const bias = w.B && b.op('Add', biasHalves(e, c, w.B, 4));
  const xs = inputProjection(e, c, x, w.W, bias);
  const rT = transpose(e, w.R, [1, 0]);
  const [pi, po, pf] = w.P ? split(e, w.P, 0, [c.hidden, c.hidden, c.hidden], 3) : [];
  const peep = (gate: Value, p: Value | undefined, cell: Value): Value => (p ? b.op('Add', [gate, b.op('Mul', [p, cell])]) : gate);
  const hs: Value[] = new Array<Value>(c.steps);
  let [h, cell] = [h0, c0];
  for (const t of order(c, dir)) {
    b.scope(`t${t}`, () => {
      const gates = b.op('Add', [xs[t]!, b.op('MatMul', [h, rT])]);
      const [gi, go, gf, gc] = split(e, gates, 1, [c.hidden, c.hidden, c.hidden, c.hidden], 4) as [Value, Value, Value, Value];
      const i = b.op('Sigmoid', [peep(gi, pi, cell)]);
      const f = b.op('Sigmoid', [peep(gf, pf, cell)]);
      cell = b.op('Add', [b.op('Mul', [f, cell]), b.op('Mul', [i, b.op('Tanh', [gc])])]);
      const o = b.op('Sigmoid', [peep(go, po, cell)]);
      h = b.op('Mul', [o, b.op('Tanh', [cell])]);
    });
    hs[t] = h;
  }
  return { hs, lastH: h, lastC: cell };
}

/**
 * One GRU direction (gate order z, r, h): z = σ(x_z + H·R_zᵀ), r = σ(x_r + H·R_rᵀ), H' = (1 − z)⊙h̃ + z⊙H with
 * h̃ = tanh(x_h + (r⊙H)·R_hᵀ + Rb_h) (linear_before_reset 0) or tanh(x_h + r⊙(H·R_hᵀ + Rb_h)) (1).
 */
function gru(e: Emitter, c: Cell, x: Value, w: Weights, dir: 'forward' | 'reverse', h0: Value): DirectionOut {
  const { b } = e;
  const H = c.hidden;
  const lbr = c.node.attrInt('linear_before_reset', 0) !== 0;
  const [wb, rb] = w.B ? biasHalves(e, c, w.B, 3) : [undefined, undefined];
  const xs = inputProjection(e, c, x, w.W, wb);
  const [rzr, rh] = split(e, w.R, 0, [2 * H, H], 2) as [Value, Value];
  const [rbzr, rbh] = rb ? split(e, rb, 0, [2 * H, H], 2) as [Value, Value] : [undefined, undefined];
  const [rzrT, rhT] = [transpose(e, rzr, [1, 0]), transpose(e, rh, [1, 0])];
  const withBias = (v: Value, bias: Value | undefined): Value => (bias ? b.op('Add', [v, bias]) : v);
  const one = b.scalar(1, c.dtype);
  const hs: Value[] = new Array<Value>(c.steps);
  let h = h0;
  for (const t of order(c, dir)) {
    b.scope(`t${t}`, () => {
      const [xzr, xh] = split(e, xs[t]!, 1, [2 * H, H], 2) as [Value, Value];
      const zr = b.op('Sigmoid', [b.op('Add', [xzr, withBias(b.op('MatMul', [h, rzrT]), rbzr)])]);
      const [z, r] = split(e, zr, 1, [H, H], 2) as [Value, Value];
      const rec = lbr
        ? b.op('Mul', [r, withBias(b.op('MatMul', [h, rhT]), rbh)])
        : withBias(b.op('MatMul', [b.op('Mul', [r, h]), rhT]), rbh);
      const cand = b.op('Tanh', [b.op('Add', [xh, rec])]);
      h = b.op('Add', [b.op('Mul', [b.op('Sub', [one, z]), cand]), b.op('Mul', [z, h])]);
    });
    hs[t] = h;
  }
  return { hs, lastH: h, lastC: undefined };
}

/** Removes the recurrent node and gives its output names (and consumers) to the unrolled values. */
function takeOver(e: Emitter, node: Node, values: readonly (Value | undefined)[], dtype: DataType): void {
  const g = e.b.graph;
  g.removeNode(node);
  node.outputs.forEach((old, i) => {
    const v = values[i];
    if (!old || !v) return;
    const shape: Dim[] | undefined = old.shape;
    g.replaceAllUses(old, v);
    g.dropValue(old);
    g.renameValue(v, old.name);
    v.dtype = dtype;
    if (shape) v.shape = [...shape];
  });
}

function scoped<T>(b: GraphBuilder, name: string, fn: () => T): T {
  const parts = name.split('/').filter((p) => p !== '');
  const go = (i: number): T => (i >= parts.length ? fn() : b.scope(parts[i]!, () => go(i + 1)));
  return go(0);
}
