import type { GraphBuilder } from '../ir/builder.js';
import type { DataType } from '../ir/dtype.js';
import type { Dim, Node, Value } from '../ir/graph.js';

/**
 * Where gradient nodes are written: a builder on the graph being extended, and the ai.onnx opset version every emitted
 * op must be valid for (the gradient graph shares the model's opset, so a rule may need one form per opset range).
 */
export interface Emitter {
  readonly b: GraphBuilder;
  /** The model's ai.onnx opset version. */
  readonly opset: number;
}

/**
 * What a gradient rule gets: the forward node, the gradients arriving at its outputs, which inputs need one, and
 * helpers that know shapes, dtypes and opsets. In the single fused forward+backward graph a rule simply references
 * the forward values it needs (tfjs's `inputsToSave` / `outputsToSave`); the builder reports which ones were used.
 */
export interface GradContext extends Emitter {
  /** The forward node. */
  readonly node: Node;
  /** Opset version of the node's own domain (equal to `opset` for ai.onnx nodes). */
  readonly domainOpset: number;
  /** Gradient of each output; `undefined` when no gradient flows into that output. */
  readonly dY: readonly (Value | undefined)[];
  /** Which inputs need a gradient; a rule may skip the work for the others. */
  readonly needs: readonly boolean[];
  /** Whether rules may emit com.microsoft contrib ops (FusedMatMul); onnxruntime has them, other runtimes may not. */
  readonly contribOps: boolean;
  /** Input `i` of the forward node; fails (naming the node) when the slot is omitted. */
  x(i: number): Value;
  /**
   * Output `i` of the forward node. An omitted optional output (Dropout's mask, LogSoftmax's…) is created on the
   * forward node, which is how a rule asks the forward pass to keep something it would otherwise drop.
   */
  y(i: number): Value;
  /** Static shape of a value when shape inference knows its rank (dims may be symbolic or null). */
  shape(v: Value): readonly Dim[] | undefined;
  /** Rank of a value; fails when unknown. */
  rank(v: Value): number;
  /** Element type of a value; fails when unknown. */
  dtype(v: Value): DataType;
  /** A rank-0 constant with `like`'s dtype. */
  scalar(value: number, like: Value): Value;
  /**
   * Sums `grad` down to the shape of `like` (undoes numpy broadcasting). `gradShape` is the static shape of `grad`;
   * it defaults to the node's first output shape, which is right for every elementwise op.
   */
  unbroadcast(grad: Value, like: Value, gradShape?: readonly Dim[]): Value;
  /** Throws SecateursError('AUTODIFF_UNSUPPORTED') naming the node, op and opset. */
  fail(message: string): never;
}

/**
 * A gradient rule: a small pure function from the context to one gradient per forward input (`undefined` where no
 * gradient flows or none is needed). Rules add nodes through `ctx.b`; they never edit forward nodes except through
 * `ctx.y` (to materialize an omitted output).
 *
 * @example
 * ```ts
 * const neg: GradRule = ({ b, dY: [dy] }) => [dy && b.op('Neg', [dy])];
 * ```
 */
export type GradRule = (ctx: GradContext) => readonly (Value | undefined)[];

/**
 * One row of a gradient rule table: the op it covers (domain '' is ai.onnx), the opset range, the rule, and which
 * inputs are differentiable at all (the rest are stop-gradient edges, like Pow's exponent or Where's condition).
 */
export interface GradRuleEntry {
  readonly domain: string;
  readonly opType: string;
  /** First opset version of the domain this row applies to. */
  readonly since: number;
  /** Last opset version it applies to (inclusive); open-ended when omitted. */
  readonly until?: number;
  readonly rule: GradRule;
  /** Input slots that can carry a gradient; all inputs when omitted. */
  readonly differentiable?: readonly number[];
}
