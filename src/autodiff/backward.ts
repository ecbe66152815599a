/**
 * Builds the backward graph: one ordinary ONNX model computing the forward pass, the loss and the gradient of every
 * parameter, so training runs as an inference session (parameters fed as inputs, gradients returned as outputs).
 * @module
 */
import { SecateursError, throwAll } from '../errors.js';
import { GraphBuilder } from '../ir/builder.js';
import { cloneModel } from '../ir/clone.js';
import type { DataType } from '../ir/dtype.js';
import type { Dim, Graph, Model, Node, Value } from '../ir/graph.js';
import { assertValid, cleanup, toposort } from '../ir/passes.js';
import { inferShapes } from '../ir/shapes/index.js';
import { Tensor } from '../ir/tensor.js';
import { zerosOfShape } from './ops.js';
import { carriesGradient, dependencies, differentiableRegion, type Region } from './reach.js';
import { findRule, GRAD_RULES, missingRuleError } from './registry.js';
import type { GradContext, GradRuleEntry } from './types.js';
import { unbroadcast } from './unbroadcast.js';

/** Options of {@link buildGradientGraph}. */
export interface GradientOptions {
  /** The value to differentiate (a scalar loss), or several whose gradients are summed. */
  readonly loss: string | readonly string[];
  /** Initializers or graph inputs to differentiate with respect to. Initializers become graph inputs. */
  readonly wrt: readonly string[];
  /**
   * Gradient fed into each loss value. `'ones'` (default): 1, so a non-scalar loss is differentiated as its sum.
   * `'input'`: a graph input `seed/<loss>` with the loss's shape, for vector-Jacobian products.
   */
  readonly seed?: 'ones' | 'input';
  /** Extra rules, looked up before the built-in table (same row format as {@link GRAD_RULES}). Default none. */
  readonly rules?: readonly GradRuleEntry[];
  /** Allow com.microsoft ops that onnxruntime has (FusedMatMul). Default true. */
  readonly contribOps?: boolean;
  /** Keep the model's own outputs (logits for accuracy) beside the loss and gradients. Default true. */
  readonly keepOutputs?: boolean;
}

/** A parameter of the gradient graph: now a graph input, with the initial value the model held (if any). */
export interface GradientParam {
  readonly name: string;
  readonly dtype: DataType;
  readonly shape: readonly Dim[];
  /** The initializer's tensor in the source model; undefined when the parameter already was a graph input. */
  readonly initial: Tensor | undefined;
  /** Name of the graph output holding this parameter's gradient: `grad/<name>`. */
  readonly grad: string;
}

/** What {@link buildGradientGraph} returns. */
export interface GradientGraph {
  /** The new model (the source model is not changed). */
  readonly model: Model;
  /** Names of the loss outputs. */
  readonly loss: readonly string[];
  readonly params: readonly GradientParam[];
  /** Names of the seed inputs (`seed: 'input'`), one per loss. */
  readonly seeds: readonly string[];
  /** Parameters the loss does not depend on; their gradient outputs are zeros. */
  readonly constant: readonly string[];
  /** Forward values the backward nodes read (what a split forward/backward would have to keep). */
  readonly saved: readonly string[];
}

const MIN_OPSET = 9;

/**
 * Differentiates `loss` with respect to `wrt`. Only nodes on a path from a parameter to the loss get a rule applied;
 * gradients of values used several times are summed; the result passes the IR verifier and is topologically sorted.
 *
 * @throws SecateursError `AUTODIFF_NO_RULE` listing every node on the path without a rule; `AUTODIFF_OPTIONS` for
 *   unknown or non-float names; `AUTODIFF_UNSUPPORTED` when a rule cannot handle a node's attributes or shapes.
 * @example
 * ```ts
 * const { model: train, params } = buildGradientGraph(withLoss(mlp, { kind: 'cross-entropy', logits: 'logits' }).model,
 *   { loss: 'loss', wrt: ['fc1.weight', 'fc1.bias'] });
 * // feeds: x, labels, fc1.weight, fc1.bias → outputs: loss, grad/fc1.weight, grad/fc1.bias
 * ```
 */
/**
 * Raises ai.onnx opsets 13-15 to 16 in the (internal, never exported) gradient model: 16 adds the scatter-add
 * (ScatterElements/ScatterND `reduction`) that the gradients of overlapping MaxPool windows and Gather need, and no
 * op changed meaning at its defaults between 13 and 16 except RoiAlign (whose default coordinate mode changed), so a
 * graph with RoiAlign keeps its opset. PyTorch exports at opset 13-14 by default; this lets them train.
 */
function raiseToScatterAdd(m: Model): void {
  const key = m.opsets.has('') ? '' : 'ai.onnx';
  const v = m.opsets.get(key);
  if (v === undefined || v < 13 || v >= 16 || m.graph.nodes.some((n) => n.opType === 'RoiAlign')) return;
  m.opsets.set(key, 16);
  m.irVersion = Math.max(m.irVersion, 8);
}

export function buildGradientGraph(model: Model, options: GradientOptions): GradientGraph {
  const out = cloneModel(model);
  raiseToScatterAdd(out);
  const g = out.graph;
  const opset = out.opsets.get('') ?? out.opsets.get('ai.onnx') ?? 0;
  if (opset < MIN_OPSET) {
    throw new SecateursError('AUTODIFF_OPSET', `model graph '${g.name}' uses ai.onnx opset ${opset}; gradient graphs need opset ${MIN_OPSET}+ (Where, Expand, ConstantOfShape). Convert the model first.`);
  }
  inferShapes(out);
  const problems: string[] = [];
  const losses = resolveLosses(g, options.loss, problems);
  const params = resolveParams(g, options.wrt, problems);
  throwAll('AUTODIFF_OPTIONS', 'buildGradientGraph', problems);
  makeInputs(g, params);
  const custom = options.rules ?? [];
  const domainOpset = (node: Node): number => out.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain) ?? (node.domain === '' ? opset : 1);
  const lookup = (node: Node) => {
    const o = domainOpset(node);
    return { entry: findRule(node.domain, node.opType, o, custom) ?? findRule(node.domain, node.opType, o, GRAD_RULES), opset: o };
  };
  const region = differentiableRegion(g, params.map((p) => p.value), dependencies(g, losses), lookup);
  if (region.missing.length > 0) throw missingRuleError(region.missing, custom);

  const forward = new Set(g.nodes);
  const b = new GraphBuilder(g);
  const grads = new Map<Value, Value[]>();
  const seeds = losses.map((l) => seedFor(b, l, options.seed ?? 'ones'));
  losses.forEach((l, i) => addGrad(grads, l, seeds[i]!));
  const accumulate = accumulator(b, grads);
  const run = { b, g, opset, domainOpset, contribOps: options.contribOps ?? true };
  for (const node of [...region.nodes].reverse()) applyRule(run, node, region, grads, accumulate);
  const constant: string[] = [];
  const gradOuts = params.map((p) => {
    const acc = grads.has(p.value) ? accumulate(p.value) : undefined;
    if (!acc) constant.push(p.name);
    const gv = acc ?? inScope(b, ['grad', ...segments(p.name)], () => zerosOfShape({ b, opset }, b.op('Shape', [p.value]), p.dtype));
    return nameOutput(b, g, gv, `grad/${p.name}`, forward, p);
  });
  finish(out, losses, gradOuts, options.keepOutputs ?? true);
  return {
    model: out,
    loss: losses.map((l) => l.name),
    params: params.map((p) => ({ name: p.name, dtype: p.dtype, shape: p.shape, initial: p.initial, grad: `grad/${p.name}` })),
    seeds: options.seed === 'input' ? seeds.map((s) => s.name) : [],
    constant,
    saved: savedValues(g, forward, new Set([...params.map((p) => p.value), ...seeds])),
  };
}

interface Run {
  readonly b: GraphBuilder;
  readonly g: Graph;
  readonly opset: number;
  readonly domainOpset: (node: Node) => number;
  readonly contribOps: boolean;
}

/** Runs one node's rule on the summed gradients of its outputs and records what it returns for each input. */
function applyRule(run: Run, node: Node, region: Region, grads: Map<Value, Value[]>, accumulate: (v: Value) => Value | undefined): void {
  const dY = node.outputs.map((o) => (o && region.values.has(o) ? accumulate(o) : undefined));
  if (dY.every((d) => !d)) return;
  const entry = region.rules.get(node)!;
  const needs = node.inputs.map((v, i) => !!v && region.values.has(v) && (!entry.differentiable || entry.differentiable.includes(i)));
  if (!needs.some(Boolean)) return;
  const ctx = context(run, node, dY, needs);
  const res = inScope(run.b, ['grad', ...segments(node.name || node.opType)], () => entry.rule(ctx));
  node.inputs.forEach((v, i) => {
    const r = res[i];
    if (!v || !needs[i] || !r) return;
    // A gradient has its value's type and shape; recording them lets later rules un-broadcast statically.
    if (!r.dtype) r.dtype = v.dtype;
    if (!r.shape && v.shape) r.shape = [...v.shape];
    addGrad(grads, v, r);
  });
}

interface ResolvedParam {
  readonly name: string;
  readonly value: Value;
  readonly dtype: DataType;
  readonly shape: Dim[];
  readonly initial: Tensor | undefined;
}

function resolveLosses(g: Graph, loss: string | readonly string[], problems: string[]): Value[] {
  const names = typeof loss === 'string' ? [loss] : [...loss];
  if (names.length === 0) throw new RangeError(`'loss' must name at least one value.`);
  const values = names.map((n) => {
    const v = g.value(n);
    if (!v) problems.push(`loss '${n}' is not a value of graph '${g.name}'`);
    else if (!v.dtype || !carriesGradient(v)) problems.push(`loss '${n}' must be a float tensor, found ${v.dtype ?? 'an unknown type'}`);
    return v;
  });
  return values.filter((v): v is Value => v !== undefined);
}

/** Looks the parameters up (problems are collected, not thrown). */
function resolveParams(g: Graph, wrt: readonly string[], problems: string[]): ResolvedParam[] {
  if (wrt.length === 0) throw new RangeError(`'wrt' must name at least one parameter.`);
  const dupes = wrt.filter((n, i) => wrt.indexOf(n) !== i);
  if (dupes.length > 0) problems.push(`'wrt' names ${dupes.map((d) => `'${d}'`).join(', ')} more than once`);
  const found: ResolvedParam[] = [];
  for (const name of wrt) {
    const v = g.value(name);
    if (!v) { problems.push(`'${name}' is not a value of graph '${g.name}'`); continue; }
    if (!v.constant && !g.inputs.includes(v)) { problems.push(`'${name}' is neither an initializer nor a graph input`); continue; }
    if (!v.dtype || !carriesGradient(v)) { problems.push(`'${name}' must be a float tensor, found ${v.dtype ?? 'an unknown type'}`); continue; }
    found.push({ name, value: v, dtype: v.dtype, shape: [...(v.constant?.dims ?? v.shape ?? [])], initial: v.constant });
  }
  return found;
}

/** Turns parameter initializers into graph inputs: the trainer feeds them, so weights stay out of the session. */
function makeInputs(g: Graph, found: readonly ResolvedParam[]): void {
  for (const p of found) {
    if (!p.value.constant) continue;
    const k = g.initializers.indexOf(p.value);
    if (k >= 0) g.initializers.splice(k, 1);
    p.value.constant = undefined;
    p.value.shape = [...p.shape];
    if (!g.inputs.includes(p.value)) g.inputs.push(p.value);
  }
}

function seedFor(b: GraphBuilder, loss: Value, mode: 'ones' | 'input'): Value {
  const dtype = loss.dtype!;
  if (mode === 'input') {
    if (!loss.shape) throw new SecateursError('AUTODIFF_OPTIONS', `the shape of loss '${loss.name}' is unknown, so no seed input can be declared for it.`);
    return b.graph.addInput(b.graph.uniqueName(`seed/${loss.name}`), dtype, [...loss.shape]);
  }
  if (loss.shape?.length === 0) return b.scalar(1, dtype);
  return inScope(b, ['grad', ...segments(loss.name)], () =>
    b.op('ConstantOfShape', [b.op('Shape', [loss])], { value: Tensor.fromArray(dtype, [1], [1]) }, { name: 'seed', dtype }));
}

function addGrad(grads: Map<Value, Value[]>, v: Value, g: Value): void {
  const list = grads.get(v);
  if (list) list.push(g);
  else grads.set(v, [g]);
}

/** Sums the gradient contributions of a value once (Add for two, Sum for more) and remembers the result. */
function accumulator(b: GraphBuilder, grads: Map<Value, Value[]>): (v: Value) => Value | undefined {
  const done = new Map<Value, Value>();
  return (v) => {
    const hit = done.get(v);
    if (hit) return hit;
    const list = grads.get(v);
    if (!list || list.length === 0) return undefined;
    const sum = list.length === 1 ? list[0]! : inScope(b, ['grad', ...segments(v.name)], () =>
      b.op(list.length === 2 ? 'Add' : 'Sum', list, {}, { name: 'accumulate', ...(v.dtype ? { dtype: v.dtype } : {}), ...(v.shape ? { shape: v.shape } : {}) }));
    done.set(v, sum);
    return sum;
  };
}

function context(run: Run, node: Node, dY: readonly (Value | undefined)[], needs: readonly boolean[]): GradContext {
  const { b, g, opset, contribOps } = run;
  const domainOpset = run.domainOpset(node);
  const fail = (message: string): never => {
    const domain = node.domain === '' ? 'ai.onnx' : node.domain;
    throw new SecateursError('AUTODIFF_UNSUPPORTED', `node '${node.name}' (${domain} ${node.opType}, opset ${domainOpset}): ${message}`);
  };
  const shape = (v: Value): readonly Dim[] | undefined => v.shape;
  const dtype = (v: Value): DataType => v.dtype ?? fail(`the element type of '${v.name}' is unknown.`);
  const e = { b, opset };
  return {
    b, opset, node, domainOpset, dY, needs, contribOps, shape, dtype, fail,
    x: (i) => node.input(i) ?? fail(`input ${i} is omitted.`),
    y: (i) => node.output(i) ?? materialize(g, node, i),
    rank: (v) => v.shape?.length ?? fail(`the rank of '${v.name}' is unknown (run shape inference with fixed dims?).`),
    scalar: (value, like) => b.scalar(value, dtype(like)),
    unbroadcast: (grad, like, gradShape) => unbroadcast(e, grad, gradShape ?? node.output(0)?.shape, like, like.shape, fail),
  };
}

/** Adds an omitted optional output to a forward node (a rule needs what the forward pass would otherwise drop). */
function materialize(g: Graph, node: Node, i: number): Value {
  const v = g.addValue(g.uniqueName(`${node.name || node.opType}_out${i}`));
  node.setOutput(i, v);
  return v;
}

/** Gives a gradient its output name: renames a value the backward pass made, or adds an Identity. */
function nameOutput(b: GraphBuilder, g: Graph, v: Value, name: string, forward: ReadonlySet<Node>, p: ResolvedParam): Value {
  if (g.value(name) && g.value(name) !== v) {
    throw new SecateursError('AUTODIFF_OPTIONS', `graph '${g.name}' already has a value named '${name}'; rename it before building gradients.`);
  }
  const own = v.producer !== undefined && !forward.has(v.producer) && !g.outputs.includes(v) && !g.inputs.includes(v);
  const out = own ? v : b.op('Identity', [v], {}, { name });
  g.renameValue(out, name);
  out.dtype = p.dtype;
  out.shape = [...p.shape];
  return out;
}

function finish(out: Model, losses: readonly Value[], gradOuts: readonly Value[], keep: boolean): void {
  const g = out.graph;
  const outputs = keep ? [...g.outputs] : [];
  for (const v of [...losses, ...gradOuts]) if (!outputs.includes(v)) outputs.push(v);
  g.outputs.splice(0, g.outputs.length, ...outputs);
  cleanup(g);
  toposort(g);
  for (const n of g.nodes) if (n.domain !== '' && n.domain !== 'ai.onnx' && !out.opsets.has(n.domain)) out.opsets.set(n.domain, 1);
  assertValid(out, `gradient graph of '${g.name}'`);
}

/** Forward activations and data inputs the backward nodes read (parameters, seeds and constants excluded). */
function savedValues(g: Graph, forward: ReadonlySet<Node>, own: ReadonlySet<Value>): string[] {
  const saved = new Set<string>();
  for (const n of g.nodes) {
    if (forward.has(n)) continue;
    for (const v of n.inputs) {
      if (!v || own.has(v) || v.constant) continue;
      if (v.producer ? forward.has(v.producer) : g.inputs.includes(v)) saved.add(v.name);
    }
  }
  return [...saved].sort();
}

function segments(name: string): string[] {
  const s = name.split('/').filter((x) => x !== '');
  return s.length > 0 ? s : ['value'];
}

function inScope<T>(b: GraphBuilder, path: readonly string[], fn: () => T): T {
  if (path.length === 0) return fn();
  return b.scope(path[0]!, () => inScope(b, path.slice(1), fn));
}
