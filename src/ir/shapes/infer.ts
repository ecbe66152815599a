import type { Dim, Model, Node, Value } from '../graph.js';
import { toposort } from '../passes.js';
import { fmtShape, unify } from './dims.js';
import { findShapeRule } from './registry.js';
import { shapeError, type KnownValue, type OutputInfo, type ShapeContext } from './types.js';
import { valueOfTensor } from './values.js';

/** Options of `inferShapes`. */
export interface InferShapesOptions {
  /**
   * Sizes for symbolic dims, e.g. `{ N: 1 }`. They are substituted everywhere first, graph inputs included, so the
   * model afterwards declares those dims fixed (clone it first to keep the original). Default: none.
   */
  readonly fixedDims?: Readonly<Record<string, number>>;
  /**
   * Forget the dtypes and shapes node outputs came with (value_info, declared graph outputs) before inferring, so
   * only the rules speak. Default false: an annotation is kept where no rule can infer, and merged where one can.
   */
  readonly reset?: boolean;
}

/** What `inferShapes` did. */
export interface InferShapesResult {
  /** Node outputs that got a dtype and a complete shape (symbolic dims count as complete) from a rule. */
  readonly inferred: number;
  /** Node outputs left without a dtype or with an unknown (null) dim, in graph order. */
  readonly unknown: string[];
  /** Annotations the file came with that disagree with the inferred shape (the inferred shape is kept). */
  readonly conflicts: string[];
}

/**
 * Static shape and dtype inference: fills `Value.dtype` and `Value.shape` of every node output it can, by the
 * per-op rules of the shape registry, folding small integer tensors (Shape → Gather → Unsqueeze → Concat →
 * Reshape chains) so shapes computed at run time become static. Ops without a rule leave their outputs unknown
 * and listed; nothing is guessed. Sorts the nodes topologically first (a no-op for a valid ONNX graph).
 *
 * @example
 * ```ts
 * const { unknown } = inferShapes(model, { fixedDims: { N: 1 } });
 * model.graph.requireValue('logits').shape;   // [1, 10]
 * ```
 */
export function inferShapes(model: Model, opts: InferShapesOptions = {}): InferShapesResult {
  const graph = model.graph;
  const fixed = checkFixed(opts.fixedDims ?? {});
  for (const v of graph.allValues()) if (v.shape) v.shape = v.shape.map((d) => fix(d, fixed));
  toposort(graph);
  const produced = graph.nodes.flatMap((n) => n.outputs.filter((v): v is Value => v !== null));
  if (opts.reset) for (const v of produced) { v.dtype = undefined; v.shape = undefined; }
  const known = new Map<Value, KnownValue | null>();
  let inferred = 0;
  const conflicts: string[] = [];
  for (const node of graph.nodes) {
    const opset = model.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain);
    const rule = findShapeRule(node.domain, node.opType, opset);
    const outs = rule ? rule(ruleContext(node, opset ?? 0, known)) : [];
    node.outputs.forEach((v, i) => {
      if (v && record(v, outs[i], known, conflicts, node)) inferred++;
    });
  }
  const unknown = produced.filter((v) => v.dtype === undefined || !v.shape || v.shape.includes(null)).map((v) => v.name);
  return { inferred, unknown, conflicts };
}

function checkFixed(fixed: Readonly<Record<string, number>>): Map<string, number> {
  for (const [k, n] of Object.entries(fixed)) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`fixedDims['${k}'] must be an integer >= 0, got ${n}.`);
  }
  return new Map(Object.entries(fixed));
}

function fix(d: Dim, fixed: Map<string, number>): Dim {
  return typeof d === 'string' ? fixed.get(d) ?? d : d;
}

/**
 * The context a shape rule reads for `node`: its inputs' dtypes and shapes, and their known contents from `known`
 * (constants and folded shape arithmetic; initializers are read into it on first use). Shared by shape inference
 * and by passes that only fold values (structured pruning's shape rewrites).
 *
 * @example
 * ```ts
 * const known = new Map();
 * const outs = findShapeRule(node.domain, node.opType, 17)?.(ruleContext(node, 17, known));
 * ```
 */
export function ruleContext(node: Node, opset: number, known: Map<Value, KnownValue | null>): ShapeContext {
  return {
    node,
    opset,
    has: (i) => node.input(i) !== undefined,
    dtype: (i) => node.input(i)?.dtype,
    shape: (i) => node.input(i)?.shape,
    value: (i) => {
      const v = node.input(i);
      if (!v) return undefined;
      const k = known.get(v);
      if (k !== undefined) return k ?? undefined;
      // Initializers count as constants even when also listed as graph inputs (old exports do that).
      const fromConstant = v.constant ? valueOfTensor(v.constant) : undefined;
      known.set(v, fromConstant ?? null);
      return fromConstant;
    },
    fail: (message) => { throw shapeError(node, opset, message); },
  };
}

/** Stores one output's inference, merged with any annotation it had; true when the result is complete. */
function record(v: Value, info: OutputInfo | undefined, known: Map<Value, KnownValue | null>, conflicts: string[], node: Node): boolean {
  if (!info) return false;
  if (info.dtype) v.dtype = info.dtype;
  if (info.value) known.set(v, info.value);
  if (!info.shape) return false;
  v.shape = merge(v, info.shape, conflicts, node);
  return v.dtype !== undefined && !info.shape.includes(null);
}

function merge(v: Value, shape: readonly Dim[], conflicts: string[], node: Node): Dim[] {
  const old = v.shape;
  if (!old) return [...shape];
  const clash = (): Dim[] => {
    conflicts.push(`'${v.name}' (output of '${node.name}', ${node.opType}): declared ${fmtShape(old)}, inferred ${fmtShape(shape)}`);
    return [...shape];
  };
  if (old.length !== shape.length) return clash();
  const out: Dim[] = [];
  for (let i = 0; i < shape.length; i++) {
    const u = unify(shape[i]!, old[i]!);
    if (u === 'conflict') return clash();
    out.push(u);
  }
  return out;
}
