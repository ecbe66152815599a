import { SecateursError } from '../errors.js';
import type { DataType } from './dtype.js';
import type { Tensor } from './tensor.js';

/** One dimension: a size, a symbolic name (ONNX `dim_param`), or unknown. */
export type Dim = number | string | null;

/** A node attribute, typed as ONNX types it. `int`s are JS numbers (int64 sentinels beyond 2^53 are clamped on save). */
export type Attribute =
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'tensor'; readonly value: Tensor }
  | { readonly type: 'graph'; readonly value: Graph }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly type: 'tensors'; readonly value: readonly Tensor[] }
  | { readonly type: 'graphs'; readonly value: readonly Graph[] }
  /** Kinds the IR does not interpret (sparse tensors, type protos, function attribute references), kept encoded. */
  | { readonly type: 'opaque'; readonly value: Uint8Array };

/** A use of a value: input slot `index` of `node`. */
export interface Use {
  readonly node: Node;
  readonly index: number;
}

/**
 * An edge of the graph: a graph input, an initializer (`constant` set), or a node output. Producer and consumer links
 * are maintained by Node edits; never assign them by hand.
 */
export class Value {
  name: string;
  dtype: DataType | undefined;
  shape: Dim[] | undefined;
  /** Initializer data; undefined for computed values and plain graph inputs. */
  constant: Tensor | undefined;
  /** How an initializer is stored in the file: as a dense tensor, or as an ONNX sparse initializer. */
  storage: 'dense' | 'sparse' = 'dense';
  docString = '';
  /** The node that computes this value (undefined for graph inputs and initializers). */
  producer: Node | undefined;
  readonly uses: Use[] = [];

  constructor(name: string, info: { dtype?: DataType; shape?: Dim[]; constant?: Tensor } = {}) {
    this.name = name;
    this.constant = info.constant;
    this.dtype = info.dtype ?? info.constant?.dtype;
    this.shape = info.shape ?? (info.constant ? [...info.constant.dims] : undefined);
  }

  /** Nodes that read this value, in a stable order, each once. */
  get consumers(): Node[] {
    return [...new Set(this.uses.map((u) => u.node))];
  }
}

/** One operator application. Inputs and outputs may be `null` for omitted optional slots. */
export class Node {
  name: string;
  opType: string;
  /** '' is the default ONNX domain (ai.onnx). */
  domain: string;
  readonly attributes = new Map<string, Attribute>();
  docString = '';
  private readonly ins: (Value | null)[] = [];
  private readonly outs: (Value | null)[] = [];

  constructor(opType: string, name: string, domain = '') {
    this.opType = opType;
    this.name = name;
    this.domain = domain;
  }

  get inputs(): readonly (Value | null)[] {
    return this.ins;
  }

  get outputs(): readonly (Value | null)[] {
    return this.outs;
  }

  /** Input `i`, or undefined if omitted. */
  input(i: number): Value | undefined {
    return this.ins[i] ?? undefined;
  }

  /** Output `i`, or undefined if omitted. */
  output(i: number): Value | undefined {
    return this.outs[i] ?? undefined;
  }

  /** Sets input slot `i` (growing the list with omitted slots), keeping both sides of the edge in sync. */
  setInput(i: number, v: Value | null): void {
    const old = this.ins[i];
    if (old) removeUse(old, this, i);
    while (this.ins.length <= i) this.ins.push(null);
    this.ins[i] = v;
    if (v) v.uses.push({ node: this, index: i });
  }

  /** Replaces all inputs. */
  setInputs(values: readonly (Value | null)[]): void {
    this.clearInputs();
    values.forEach((v, i) => this.setInput(i, v));
  }

  /** Sets output slot `i`; the value must not already have another producer. */
  setOutput(i: number, v: Value | null): void {
    const old = this.outs[i];
    if (old && old.producer === this) old.producer = undefined;
    while (this.outs.length <= i) this.outs.push(null);
    if (v) {
      if (v.producer && v.producer !== this) {
        throw new SecateursError('IR_SSA', `value '${v.name}' is already produced by node '${v.producer.name}'; cannot also be output of '${this.name}'.`);
      }
      v.producer = this;
    }
    this.outs[i] = v;
  }

  /** Replaces all outputs. */
  setOutputs(values: readonly (Value | null)[]): void {
    this.outs.forEach((v, i) => { if (v) this.setOutput(i, null); });
    this.outs.length = 0;
    values.forEach((v, i) => this.setOutput(i, v));
  }

  /** Drops trailing omitted inputs (ONNX allows them to be left out). */
  trimInputs(): void {
    while (this.ins.length > 0 && this.ins[this.ins.length - 1] === null) this.ins.pop();
  }

  /** Disconnects every input edge (used when a node is removed). */
  clearInputs(): void {
    this.ins.forEach((v, i) => { if (v) removeUse(v, this, i); });
    this.ins.length = 0;
  }

  /** Attribute value as a number, or `fallback` when absent. */
  attrInt(name: string, fallback: number): number;
  attrInt(name: string): number | undefined;
  attrInt(name: string, fallback?: number): number | undefined {
    const a = this.attributes.get(name);
    if (!a) return fallback;
    if (a.type !== 'int') throw this.attrTypeError(name, 'int', a.type);
    return a.value;
  }

  attrFloat(name: string, fallback: number): number {
    const a = this.attributes.get(name);
    if (!a) return fallback;
    if (a.type !== 'float') throw this.attrTypeError(name, 'float', a.type);
    return a.value;
  }

  attrInts(name: string): readonly number[] | undefined {
    const a = this.attributes.get(name);
    if (!a) return undefined;
    if (a.type !== 'ints') throw this.attrTypeError(name, 'ints', a.type);
    return a.value;
  }

  attrString(name: string, fallback: string): string {
    const a = this.attributes.get(name);
    if (!a) return fallback;
    if (a.type !== 'string') throw this.attrTypeError(name, 'string', a.type);
    return a.value;
  }

  private attrTypeError(name: string, want: string, got: string): SecateursError {
    return new SecateursError('IR_ATTRIBUTE', `node '${this.name}' (${this.opType}): attribute '${name}' should be ${want}, found ${got}.`);
  }
}

function removeUse(v: Value, node: Node, index: number): void {
  const k = v.uses.findIndex((u) => u.node === node && u.index === index);
  if (k >= 0) v.uses.splice(k, 1);
}

/**
 * A computation graph: nodes, graph inputs/outputs, initializers, and every named value. Names are unique per graph.
 * A subgraph (If/Loop/Scan body) reads values of enclosing graphs by using the enclosing graph's own `Value` objects
 * as node inputs; such a value is not registered in the subgraph (`subgraph.value(name)` is undefined) — see
 * `outerScopeValues`.
 *
 * @example
 * ```ts
 * const g = new Graph('g');
 * const x = g.addInput('x', 'float32', ['N', 4]);
 * const y = g.addNode('Relu', [x]).output(0)!;
 * g.outputs.push(y);
 * ```
 */
export class Graph {
  name: string;
  docString = '';
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly nodes: Node[] = [];
  /** Initializers in file order (each has `constant`). */
  readonly initializers: Value[] = [];

  private readonly values = new Map<string, Value>();
  private readonly nodeNames = new Set<string>();
  private counter = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** The value with this name, if any. */
  value(name: string): Value | undefined {
    return this.values.get(name);
  }

  /** Every value, in creation order. */
  allValues(): IterableIterator<Value> {
    return this.values.values();
  }

  /** The value with this name, or a SecateursError naming it. */
  requireValue(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw new SecateursError('IR_UNKNOWN_VALUE', `graph '${this.name}' has no value named '${name}'.`);
    return v;
  }

  /** A name not yet used by a value or node, derived from `hint` ("hint", "hint_1", ...). */
  uniqueName(hint: string): string {
    if (!this.values.has(hint) && !this.nodeNames.has(hint)) return hint;
    for (;;) {
      const name = `${hint}_${++this.counter}`;
      if (!this.values.has(name) && !this.nodeNames.has(name)) return name;
    }
  }

  /** Registers a new value; the name must be free. */
  addValue(name: string, info: { dtype?: DataType; shape?: Dim[]; constant?: Tensor } = {}): Value {
    if (this.values.has(name)) throw new SecateursError('IR_DUPLICATE', `graph '${this.name}' already has a value named '${name}'.`);
    const v = new Value(name, info);
    this.values.set(name, v);
    return v;
  }

  /** Adds a graph input. */
  addInput(name: string, dtype: DataType, shape: Dim[]): Value {
    const v = this.addValue(name, { dtype, shape });
    this.inputs.push(v);
    return v;
  }

  /** Adds an initializer (a named constant); a taken name gets a suffix. */
  addInitializer(name: string, tensor: Tensor): Value {
    const v = this.addValue(this.uniqueName(name), { constant: tensor });
    this.initializers.push(v);
    return v;
  }

  /** Renames a value, keeping the name index in sync. */
  renameValue(v: Value, name: string): void {
    if (v.name === name) return;
    if (this.values.has(name)) throw new SecateursError('IR_DUPLICATE', `graph '${this.name}' already has a value named '${name}'.`);
    this.values.delete(v.name);
    v.name = name;
    this.values.set(name, v);
  }

  /**
   * Appends a node. Outputs are new values named after the node unless given (as values or names).
   * `outputs` may be a count.
   */
  addNode(
    opType: string,
    inputs: readonly (Value | null)[],
    opts: { name?: string; domain?: string; attributes?: Record<string, Attribute>; outputs?: number | readonly (Value | string | null)[] } = {},
  ): Node {
    const name = this.uniqueName(opts.name ?? opType);
    const node = new Node(opType, name, opts.domain ?? '');
    this.nodeNames.add(name);
    for (const [k, a] of Object.entries(opts.attributes ?? {})) node.attributes.set(k, a);
    node.setInputs(inputs);
    const outs = opts.outputs ?? 1;
    const list = typeof outs === 'number' ? Array.from({ length: outs }, (_, i) => `${name}_out${outs > 1 ? i : ''}`) : outs;
    node.setOutputs(list.map((o) => (o === null ? null : typeof o === 'string' ? this.addValue(this.uniqueName(o)) : o)));
    this.nodes.push(node);
    return node;
  }

  /** Inserts an already-built node (used by importers, which create values first). */
  insertNode(node: Node): void {
    if (this.nodeNames.has(node.name) && node.name !== '') {
      node.name = this.uniqueName(node.name);
    }
    this.nodeNames.add(node.name);
    this.nodes.push(node);
  }

  /** Removes a node and disconnects its edges; its outputs become unproduced (and dangle until cleanup). */
  removeNode(node: Node): void {
    const i = this.nodes.indexOf(node);
    if (i < 0) throw new SecateursError('IR_UNKNOWN_NODE', `node '${node.name}' is not in graph '${this.name}'.`);
    this.nodes.splice(i, 1);
    this.nodeNames.delete(node.name);
    node.clearInputs();
    node.outputs.forEach((v) => { if (v && v.producer === node) v.producer = undefined; });
  }

  /** Removes a value that nothing uses any more (not an input, output or initializer of this graph). */
  dropValue(v: Value): void {
    if (v.uses.length > 0 || v.producer) throw new SecateursError('IR_IN_USE', `value '${v.name}' is still connected.`);
    const k = this.initializers.indexOf(v);
    if (k >= 0) this.initializers.splice(k, 1);
    const j = this.inputs.indexOf(v);
    if (j >= 0) this.inputs.splice(j, 1);
    this.values.delete(v.name);
  }

  /** Points every use of `from` (and graph outputs) at `to`. */
  replaceAllUses(from: Value, to: Value): void {
    for (const u of [...from.uses]) u.node.setInput(u.index, to);
    for (let i = 0; i < this.outputs.length; i++) if (this.outputs[i] === from) this.outputs[i] = to;
  }

  /** Node with this name, if any. */
  node(name: string): Node | undefined {
    return this.nodes.find((n) => n.name === name);
  }
}

/** A whole model: the graph plus the metadata ONNX keeps beside it. */
export interface Model {
  irVersion: number;
  /** Operator set version per domain ('' is ai.onnx). */
  opsets: Map<string, number>;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  metadata: Map<string, string>;
  graph: Graph;
  /**
   * Model-local functions and any other ModelProto fields the IR does not interpret (training_info, configuration,
   * fields from newer ONNX versions), in file order, kept encoded for saving: `field` is the field number and `bytes`
   * the payload (for length-delimited fields, the default `wireType` 2, the embedded message without its length prefix).
   */
  preserved: { readonly field: number; readonly bytes: Uint8Array; readonly wireType?: number }[];
}

/** A new empty model around a graph, at the given ai.onnx opset. */
export function createModel(graph: Graph, opset = 17, producer = 'secateurs'): Model {
  return {
    irVersion: opset >= 21 ? 10 : opset >= 19 ? 9 : 8,
    opsets: new Map([['', opset]]),
    producerName: producer,
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: new Map(),
    graph,
    preserved: [],
  };
}
