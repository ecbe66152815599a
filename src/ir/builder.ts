import { SecateursError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import type { DataType } from './dtype.js';
import { Graph, Node, createModel, type Attribute, type Dim, type Model, type Value } from './graph.js';
import { Tensor } from './tensor.js';

/**
 * What an attribute may be written as. Plain JS values are typed by {@link toAttribute}; an {@link Attribute} (for
 * instance from the {@link attr} helpers) is taken as is.
 */
export type AttrValue =
  | number | boolean | string | Tensor | Graph
  | readonly number[] | readonly string[] | readonly Tensor[]
  | Attribute;

/** Attributes of one node, by name. `undefined` entries are skipped (handy for optional attributes). */
export type AttrMap = Readonly<Record<string, AttrValue | undefined>>;

/**
 * Explicit attribute constructors, for when inference would pick the wrong type (an integral float on an op the
 * {@link FLOAT_ATTRS} table does not know, an empty float list).
 *
 * @example
 * ```ts
 * b.op('MyScale', [x], { factor: attr.float(2) }, { domain: 'my.domain' });
 * ```
 */
export const attr = {
  int: (value: number): Attribute => ({ type: 'int', value: checkInt(value) }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  ints: (value: readonly number[]): Attribute => ({ type: 'ints', value: value.map(checkInt) }),
  floats: (value: readonly number[]): Attribute => ({ type: 'floats', value: [...value] }),
  strings: (value: readonly string[]): Attribute => ({ type: 'strings', value: [...value] }),
  tensor: (value: Tensor): Attribute => ({ type: 'tensor', value }),
  graph: (value: Graph): Attribute => ({ type: 'graph', value }),
} as const;

function checkInt(v: number): number {
  if (!Number.isInteger(v)) throw new RangeError(`int attribute must be an integer, got ${v}.`);
  return v;
}

/**
 * Float-typed attributes of the ops that have any, by domain ('' is ai.onnx) and op type. A JS number given for one of
 * these becomes a `float` (or `floats`) even when integral (`alpha: 1`); every other integral number becomes an
 * `int`. Extend the table when a new op with float attributes is built; until then use {@link attr}.
 */
export const FLOAT_ATTRS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  '': {
    BatchNormalization: ['epsilon', 'momentum'], Bernoulli: ['seed'], Celu: ['alpha'], Clip: ['max', 'min'],
    Constant: ['value_float', 'value_floats'], Dropout: ['ratio'], Elu: ['alpha'], Gemm: ['alpha', 'beta'],
    GroupNormalization: ['epsilon'], HardSigmoid: ['alpha', 'beta'], ImageScaler: ['bias', 'scale'],
    InstanceNormalization: ['epsilon'], LayerNormalization: ['epsilon'], LeakyRelu: ['alpha'],
    LRN: ['alpha', 'beta', 'bias'], MaxRoiPool: ['spatial_scale'], Multinomial: ['seed'], Pad: ['value'],
    RandomNormal: ['mean', 'scale', 'seed'], RandomNormalLike: ['mean', 'scale', 'seed'],
    RandomUniform: ['high', 'low', 'seed'], RandomUniformLike: ['high', 'low', 'seed'],
    Resize: ['cubic_coeff_a', 'extrapolation_value'], RoiAlign: ['spatial_scale'], Selu: ['alpha', 'gamma'],
    Shrink: ['bias', 'lambd'], ThresholdedRelu: ['alpha'], Upsample: ['scales'],
  },
  'com.microsoft': {
    Attention: ['mask_filter_value', 'scale'], FusedMatMul: ['alpha'], MultiHeadAttention: ['mask_filter_value', 'scale'],
    QuickGelu: ['alpha'], SimplifiedLayerNormalization: ['epsilon'], SkipLayerNormalization: ['epsilon'],
    SkipSimplifiedLayerNormalization: ['epsilon'],
  },
};

function isFloatAttr(domain: string, opType: string, name: string): boolean {
  const d = domain === 'ai.onnx' ? '' : domain;
  return FLOAT_ATTRS[d]?.[opType]?.includes(name) ?? false;
}

function isList(v: AttrValue): v is readonly number[] | readonly string[] | readonly Tensor[] {
  return Array.isArray(v);
}

/**
 * Types one attribute value. Rules, in order: an {@link Attribute} object is kept; a Tensor or Graph becomes `tensor`
 * / `graph`; a boolean an `int` 0/1; a string `string`; a number `float` when {@link FLOAT_ATTRS} lists the name for
 * the op or the number is not an integer, else `int`. Lists follow the same rule element-wise (`ints`, `floats`,
 * `strings`, `tensors`; an empty list is `ints` unless listed as float).
 *
 * @example
 * ```ts
 * toAttribute('Gemm', 'alpha', 1);       // { type: 'float', value: 1 }
 * toAttribute('Conv', 'pads', [1, 1]);   // { type: 'ints', value: [1, 1] }
 * ```
 */
export function toAttribute(opType: string, name: string, v: AttrValue, domain = ''): Attribute {
  const asFloat = isFloatAttr(domain, opType, name);
  if (v instanceof Tensor) return { type: 'tensor', value: v };
  if (v instanceof Graph) return { type: 'graph', value: v };
  switch (typeof v) {
    case 'boolean': return { type: 'int', value: v ? 1 : 0 };
    case 'string': return { type: 'string', value: v };
    case 'number': return asFloat || !Number.isInteger(v) ? { type: 'float', value: v } : { type: 'int', value: v };
    default: break;
  }
  if (!isList(v)) return v;
  const items: readonly unknown[] = v;
  if (items.every((x) => typeof x === 'number')) {
    const nums = items as readonly number[];
    const floats = asFloat || nums.some((x) => !Number.isInteger(x));
    return floats ? { type: 'floats', value: [...nums] } : { type: 'ints', value: [...nums] };
  }
  if (items.every((x) => typeof x === 'string')) return { type: 'strings', value: [...(items as readonly string[])] };
  if (items.every((x) => x instanceof Tensor)) return { type: 'tensors', value: [...(items as readonly Tensor[])] };
  throw new TypeError(`attribute '${name}' of ${opType}: a list must hold only numbers, only strings or only tensors.`);
}

/** Options of {@link GraphBuilder.node} and friends. */
export interface OpOptions {
  /** Name hint of the node (default: the op type), prefixed by the current scope and made unique. */
  readonly name?: string;
  /** Operator domain; default '' (ai.onnx). */
  readonly domain?: string;
  /** Element type recorded on every output (shape probing fills it in later otherwise). */
  readonly dtype?: DataType;
  /** Shape recorded on a single output. */
  readonly shape?: readonly Dim[];
}

/**
 * Builds ONNX graphs with readable, stable names. Every name passed in is prefixed by the current {@link scope}
 * ('block1/conv'); node names are made unique with `_1`, `_2`, … per hint. A single-output node's output value has the
 * node's name; a multi-output node's outputs are `<node>_out0`, `<node>_out1`, … unless named.
 * Attributes are typed by {@link toAttribute} and stored sorted by name, so the same calls give the same graph.
 * The builder learns the graph's node names when constructed: add nodes through it (not `graph.addNode`) afterwards.
 *
 * @example
 * ```ts
 * const b = new GraphBuilder('mlp');
 * const x = b.input('input', 'float32', ['N', 4]);
 * const y = b.scope('fc1', () => {
 *   const w = b.constF32('weight', [3, 4], new Float32Array(12).fill(0.1));
 *   return b.op('Gemm', [x, w], { transB: 1, alpha: 1 });   // node 'fc1/Gemm'
 * });
 * b.output(b.op('Relu', [y]), { name: 'logits', dtype: 'float32', shape: ['N', 3] });
 * const model = b.model();                                  // opset 17
 * ```
 */
export class GraphBuilder {
  readonly graph: Graph;
  private readonly scopes: string[] = [];
  private readonly nodeNames = new Set<string>();
  private readonly nextSuffix = new Map<string, number>();
  private readonly scalars = new Map<string, Value>();

  constructor(graph: Graph | string) {
    this.graph = typeof graph === 'string' ? new Graph(graph) : graph;
    for (const n of this.graph.nodes) this.nodeNames.add(n.name);
  }

  /** The current scope prefix ('' at top level, else 'a/b/'). */
  get prefix(): string {
    return this.scopes.length === 0 ? '' : `${this.scopes.join('/')}/`;
  }

  /** Runs `fn` with `name` pushed on the scope stack and returns its result. */
  scope<T>(name: string, fn: () => T): T {
    if (name === '' || name.includes('/')) throw new RangeError(`scope name must be non-empty without '/', got '${name}'.`);
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** A scoped name that no value or node of the graph uses yet: `hint`, else `hint_1`, `hint_2`, … */
  fresh(hint: string): string {
    const base = this.prefix + hint;
    if (this.isFree(base)) return base;
    let k = this.nextSuffix.get(base) ?? 1;
    while (!this.isFree(`${base}_${k}`)) k++;
    this.nextSuffix.set(base, k + 1);
    return `${base}_${k}`;
  }

  private isFree(name: string): boolean {
    return !this.nodeNames.has(name) && this.graph.value(name) === undefined;
  }

  /** Adds a graph input with the exact scoped name (an error if it is taken). */
  input(name: string, dtype: DataType, shape: readonly Dim[]): Value {
    return this.graph.addInput(this.prefix + name, dtype, [...shape]);
  }

  /** Adds an initializer under a fresh scoped name. */
  initializer(name: string, tensor: Tensor): Value {
    return this.graph.addInitializer(this.fresh(name), tensor);
  }

  /** A float32 initializer from numbers (a Float32Array is shared, not copied). */
  constF32(name: string, dims: readonly number[], data: ArrayLike<number>): Value {
    return this.initializer(name, data instanceof Float32Array ? Tensor.fromTyped('float32', dims, data) : Tensor.fromArray('float32', dims, data));
  }

  /** A 1-D int64 initializer (shapes, axes, indices). */
  constI64(name: string, values: readonly number[]): Value {
    return this.initializer(name, Tensor.fromArray('int64', [values.length], values));
  }

  /**
   * A rank-0 constant shared by the whole graph (one initializer per dtype and value, named
   * `const_<dtype>_<value>` outside any scope; an equal one already in the graph is reused).
   */
  scalar(value: number, dtype: DataType = 'float32'): Value {
    const key = `const_${dtype}_${value}`;
    const hit = this.scalars.get(key);
    if (hit) return hit;
    const tensor = Tensor.scalar(dtype, value);
    const existing = this.graph.value(key);
    const same = existing?.constant?.dtype === dtype && existing.constant.dims.length === 0 &&
      existing.constant.toNumbers()[0] === tensor.toNumbers()[0];
    const v = same ? existing : this.graph.addInitializer(key, tensor);
    this.scalars.set(key, v);
    return v;
  }

  /** Appends a node and returns it; `outputs` is a count or the output name hints (default 1). */
  node(opType: string, inputs: readonly (Value | null)[], attrs: AttrMap = {}, opts: OpOptions & { readonly outputs?: number | readonly string[] } = {}): Node {
    const domain = opts.domain ?? '';
    const name = this.fresh(opts.name ?? opType);
    const node = new Node(opType, name, domain);
    for (const key of Object.keys(attrs).sort()) {
      const a = attrs[key];
      if (a !== undefined) node.attributes.set(key, toAttribute(opType, key, a, domain));
    }
    for (const v of inputs) {
      if (v && this.graph.value(v.name) !== v) {
        throw new SecateursError('IR_UNKNOWN_VALUE', `node '${name}' (${opType}): input '${v.name}' is not a value of graph '${this.graph.name}'.`);
      }
    }
    this.nodeNames.add(name);
    const outs = this.outputNames(name, opts.outputs ?? 1).map((n) => this.graph.addValue(n, { dtype: opts.dtype }));
    if (opts.shape && outs.length === 1) outs[0]!.shape = [...opts.shape];
    node.setInputs(inputs);
    node.setOutputs(outs);
    this.graph.insertNode(node);
    return node;
  }

  private outputNames(nodeName: string, outputs: number | readonly string[]): string[] {
    if (typeof outputs !== 'number') return outputs.map((o) => this.fresh(o));
    if (!Number.isInteger(outputs) || outputs < 1) throw new RangeError(`output count must be an integer >= 1, got ${outputs}.`);
    if (outputs === 1) return [nodeName];
    return Array.from({ length: outputs }, (_, i) => this.freshAbsolute(`${nodeName}_out${i}`));
  }

  private freshAbsolute(name: string): string {
    if (this.isFree(name)) return name;
    throw new SecateursError('IR_DUPLICATE', `graph '${this.graph.name}' already has a value or node named '${name}'.`);
  }

  /** Appends a single-output node and returns its output. */
  op(opType: string, inputs: readonly (Value | null)[], attrs: AttrMap = {}, opts: OpOptions = {}): Value {
    return this.node(opType, inputs, attrs, opts).outputs[0]!;
  }

  /** Appends a node with `outputs` outputs (a count or name hints) and returns them in order. */
  opN(opType: string, inputs: readonly (Value | null)[], outputs: number | readonly string[], attrs: AttrMap = {}, opts: OpOptions = {}): Value[] {
    return this.node(opType, inputs, attrs, { ...opts, outputs }).outputs.map((v) => v!);
  }

  /**
   * Marks `value` as a graph output; `name` renames it exactly (no scope, an error if taken); `dtype` and `shape` are
   * recorded on it (ONNX wants graph outputs typed).
   */
  output(value: Value, opts: { readonly name?: string; readonly dtype?: DataType; readonly shape?: readonly Dim[] } = {}): Value {
    if (opts.name !== undefined) this.graph.renameValue(value, opts.name);
    if (opts.dtype) value.dtype = opts.dtype;
    if (opts.shape) value.shape = [...opts.shape];
    this.graph.outputs.push(value);
    return value;
  }

  /** A model around the graph at the given ai.onnx opset (default 17). */
  model(opset = 17): Model {
    return createModel(this.graph, opset);
  }
}

/** Fan-in and fan-out of a weight, as PyTorch computes them. */
export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

/**
 * PyTorch's fans of a weight: `oi` layout is `[out, in, ...kernel]` (Conv, Gemm with transB=1): fanIn = in·kernel,
 * fanOut = out·kernel; `io` is `[in, out]` (a MatMul right-hand side).
 *
 * @example
 * ```ts
 * fans([20, 1, 5, 5]);          // { fanIn: 25, fanOut: 500 }
 * fans([64, 128], 'io');        // { fanIn: 64, fanOut: 128 }
 * ```
 */
export function fans(dims: readonly number[], layout: 'oi' | 'io' = 'oi'): Fans {
  if (dims.length < 2) throw new RangeError(`fans need a weight of rank >= 2, got [${dims.join(', ')}].`);
  const receptive = dims.slice(2).reduce((a, b) => a * b, 1);
  const [a, b] = [dims[0]!, dims[1]!];
  return layout === 'oi' ? { fanIn: b * receptive, fanOut: a * receptive } : { fanIn: a * receptive, fanOut: b * receptive };
}

/** A float32 tensor drawn from U(-bound, bound). */
export function uniformTensor(rng: Rng, dims: readonly number[], bound: number): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (2 * rng.next() - 1) * bound;
  return Tensor.fromTyped('float32', dims, data);
}

/** A float32 tensor drawn from N(mean, std²). */
export function normalTensor(rng: Rng, dims: readonly number[], std: number, mean = 0): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = mean + std * rng.normal();
  return Tensor.fromTyped('float32', dims, data);
}

/** A float32 tensor filled with one value (BatchNorm/LayerNorm scales and shifts). */
export function filledTensor(dims: readonly number[], value: number): Tensor {
  return Tensor.fromTyped('float32', dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value));
}

/** Options of the Kaiming and Xavier initializers. */
export interface InitOptions {
  /** Weight layout for the fans (see {@link fans}); default 'oi'. */
  readonly layout?: 'oi' | 'io';
  /** Kaiming: negative slope of the leaky ReLU; default 0. PyTorch's Linear/Conv default uses √5. */
  readonly a?: number;
  /** Kaiming: which fan keeps the variance; default 'fan_in'. */
  readonly mode?: 'fan_in' | 'fan_out';
  /** Xavier: gain; default 1. */
  readonly gain?: number;
}

/**
 * Kaiming (He) uniform: U(-b, b) with b = gain·√(3/fan), gain = √(2/(1+a²)) (torch.nn.init.kaiming_uniform_ with
 * nonlinearity 'leaky_relu').
 *
 * @example
 * ```ts
 * const w = kaimingUniform(new Rng(0), [300, 784], { a: Math.sqrt(5) });   // U(±1/√784)
 * ```
 */
export function kaimingUniform(rng: Rng, dims: readonly number[], opts: InitOptions = {}): Tensor {
  const f = fans(dims, opts.layout);
  const fan = (opts.mode ?? 'fan_in') === 'fan_in' ? f.fanIn : f.fanOut;
  const a = opts.a ?? 0;
  return uniformTensor(rng, dims, Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fan));
}

/** Xavier (Glorot) uniform: U(-b, b) with b = gain·√(6/(fanIn+fanOut)). */
export function xavierUniform(rng: Rng, dims: readonly number[], opts: InitOptions = {}): Tensor {
  const f = fans(dims, opts.layout);
  return uniformTensor(rng, dims, (opts.gain ?? 1) * Math.sqrt(6 / (f.fanIn + f.fanOut)));
}

/** Xavier (Glorot) normal: N(0, σ²) with σ = gain·√(2/(fanIn+fanOut)). */
export function xavierNormal(rng: Rng, dims: readonly number[], opts: InitOptions = {}): Tensor {
  const f = fans(dims, opts.layout);
  return normalTensor(rng, dims, (opts.gain ?? 1) * Math.sqrt(2 / (f.fanIn + f.fanOut)));
}

/**
 * PyTorch's default initialization of nn.Linear / nn.Conv*d: weight kaiming_uniform(a=√5) = U(±1/√fanIn), bias
 * U(±1/√fanIn) of length `out`. Draws the weight first, then the bias.
 *
 * @example
 * ```ts
 * const { weight, bias } = torchDefaultInit(new Rng(0), [10, 100]);   // bias dims [10]
 * ```
 */
export function torchDefaultInit(rng: Rng, dims: readonly number[], layout: 'oi' | 'io' = 'oi'): { weight: Tensor; bias: Tensor } {
  const weight = kaimingUniform(rng, dims, { a: Math.sqrt(5), layout });
  const { fanIn } = fans(dims, layout);
  const out = layout === 'oi' ? dims[0]! : dims[1]!;
  return { weight, bias: uniformTensor(rng, [out], 1 / Math.sqrt(fanIn)) };
}
