/**
 * Which weight tensors can be pruned, decided from the graph (op type, input slot, attributes), never from names.
 *
 * A target is one constant tensor: an initializer (or a Constant node's value) reached from a layer's weight slot
 * through any chain of Identity nodes (the PyTorch exporter shares deduplicated initializers that way). A tensor read
 * by several layers is one target listing every node. Only main-graph float tensors are targets; If/Loop bodies are
 * not searched.
 *
 * | op | weight slot | layout | inputAxis | outputAxis | activation (for Wanda) |
 * |---|---|---|---|---|---|
 * | Conv | 1 | [out, in/g, k…] | 1 | 0 | input 0, channel axis 1 |
 * | ConvTranspose | 1 | [in, out/g, k…] | 0 | 1 | input 0, channel axis 1 |
 * | Gemm transB=1 | 1 | [out, in] | 1 | 0 | input 0, axis 1 (0 with transA=1) |
 * | Gemm transB=0 | 1 | [in, out] | 0 | 1 | same |
 * | MatMul, constant B | 1 | [..., in, out] | r−2 | r−1 | input 0, last axis |
 * | MatMul, constant A | 0 | [..., out, in] | r−1 | r−2 | input 1, axis −2 |
 * | LSTM / GRU / RNN W | 1 | [dirs, gates·H, in] | 2 | 1 | input 0, last axis |
 * | LSTM / GRU / RNN R | 2 | [dirs, gates·H, H] | 2 | 1 | none (the hidden state is internal) |
 */
import { SecateursError } from '../errors.js';
import { isFloat, type DataType } from '../ir/dtype.js';
import type { Graph, Model, Node, Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/** Where a layer reads the activation a weight multiplies: an input slot and the axis of its features. */
export interface ActivationSlot {
  /** Node input index of the activation. */
  readonly slot: number;
  /** Axis of the input features in that activation; negative counts from the end. */
  readonly featureAxis: number;
}

/** One consumer of a target: the node and how it reads the weight. */
export interface TargetUse {
  readonly node: string;
  readonly opType: string;
  /** The node input slot holding the weight (through Identity). */
  readonly slot: number;
  /** The activation multiplied by the weight, or undefined when it is internal (LSTM/GRU R). */
  readonly activation: ActivationSlot | undefined;
}

/** A prunable weight tensor. Plain data (JSON-serializable). */
export interface PruneTarget {
  /** The initializer (or Constant output) holding the weight: the layer's name everywhere in this module. */
  readonly name: string;
  /** The first node reading it, in graph order. */
  readonly node: string;
  readonly opType: string;
  /** Every node reading it, in graph order (several when the initializer is shared). */
  readonly nodes: readonly string[];
  readonly uses: readonly TargetUse[];
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  readonly dtype: DataType;
  /** The axis that indexes input features / channels. */
  readonly inputAxis: number;
  /** The axis that indexes output features / channels. */
  readonly outputAxis: number;
  /** Kernel (spatial) axes of a convolution; empty for linear layers. */
  readonly kernelAxes: readonly number[];
  /** Convolution groups (1 for everything else). */
  readonly groups: number;
  /** `initializer`, or `constant` for a Constant node's value. */
  readonly storage: 'initializer' | 'constant';
}

/** A constant weight slot that is not a target, with the reason. */
export interface SkippedTensor {
  readonly name: string;
  readonly node: string;
  readonly reason: string;
}

interface Layout {
  readonly inputAxis: number;
  readonly outputAxis: number;
  readonly kernelAxes: readonly number[];
  readonly groups: number;
  readonly activation: ActivationSlot | undefined;
}

/** A layout rule: the layout of the weight in `slot` (rank `rank`), a skip reason, or undefined for a non-weight slot. */
type LayoutRule = (node: Node, slot: number, rank: number, constantSlots: ReadonlySet<number>) => Layout | string | undefined;

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

function convRule(transposed: boolean): LayoutRule {
  return (node, slot, rank) => {
    if (slot !== 1) return undefined;
    if (rank < 3) return `${node.opType} weight of rank ${rank}; expected [.., .., k…]`;
    const groups = node.attrInt('group', 1);
    const io = transposed ? { inputAxis: 0, outputAxis: 1 } : { inputAxis: 1, outputAxis: 0 };
    return { ...io, kernelAxes: range(2, rank), groups, activation: { slot: 0, featureAxis: 1 } };
  };
}

const gemmRule: LayoutRule = (node, slot, rank) => {
  if (slot !== 1) return undefined;
  if (rank !== 2) return `Gemm B of rank ${rank}`;
  const transB = node.attrInt('transB', 0) !== 0;
  const featureAxis = node.attrInt('transA', 0) !== 0 ? 0 : 1;
  const io = transB ? { inputAxis: 1, outputAxis: 0 } : { inputAxis: 0, outputAxis: 1 };
  return { ...io, kernelAxes: [], groups: 1, activation: { slot: 0, featureAxis } };
};

const matMulRule: LayoutRule = (_node, slot, rank, constants) => {
  if (slot > 1) return undefined;
  if (constants.has(0) && constants.has(1)) return 'both MatMul operands are constant (a foldable constant, not a layer)';
  if (rank < 2) return `MatMul operand of rank ${rank} has no input/output axes`;
  return slot === 1
    ? { inputAxis: rank - 2, outputAxis: rank - 1, kernelAxes: [], groups: 1, activation: { slot: 0, featureAxis: -1 } }
    : { inputAxis: rank - 1, outputAxis: rank - 2, kernelAxes: [], groups: 1, activation: { slot: 1, featureAxis: -2 } };
};

const recurrentRule: LayoutRule = (node, slot, rank) => {
  if (slot !== 1 && slot !== 2) return undefined;
  if (rank !== 3) return `${node.opType} ${slot === 1 ? 'W' : 'R'} of rank ${rank}; expected [dirs, gates·H, in]`;
  return { inputAxis: 2, outputAxis: 1, kernelAxes: [], groups: 1, activation: slot === 1 ? { slot: 0, featureAxis: -1 } : undefined };
};

/** Layout rules by op type (default ONNX domain). Add an op here to make its weights prunable. */
export const TARGET_RULES: Readonly<Record<string, LayoutRule>> = {
  Conv: convRule(false),
  ConvTranspose: convRule(true),
  Gemm: gemmRule,
  MatMul: matMulRule,
  LSTM: recurrentRule,
  GRU: recurrentRule,
  RNN: recurrentRule,
};

interface Found { readonly value: Value; readonly tensor: Tensor; readonly storage: 'initializer' | 'constant' }

/** The constant a node input comes from through Identity nodes, or undefined for a computed value. */
export function traceConstant(v: Value): Found | undefined {
  let cur: Value | undefined = v;
  const seen = new Set<Value>();
  while (cur && !seen.has(cur)) {
    seen.add(cur);
    if (cur.constant) return { value: cur, tensor: cur.constant, storage: 'initializer' };
    const p: Node | undefined = cur.producer;
    if (!p || (p.domain !== '' && p.domain !== 'ai.onnx')) return undefined;
    if (p.opType === 'Constant') {
      const a = p.attributes.get('value');
      return a?.type === 'tensor' ? { value: cur, tensor: a.value, storage: 'constant' } : undefined;
    }
    if (p.opType !== 'Identity') return undefined;
    cur = p.input(0);
  }
  return undefined;
}

interface Candidate { readonly found: Found; readonly node: Node; readonly slot: number; readonly layout: Layout }

/**
 * The prunable weights of a model and the constant weight slots that were passed over, with reasons.
 *
 * @example
 * ```ts
 * const { targets, skipped } = analyzeTargets(buildZooModel('lenet5'));
 * targets.map((t) => t.name);   // ['conv1/weight', 'conv2/weight', 'fc1/weight', 'fc2/weight']
 * ```
 */
export function analyzeTargets(model: Model): { targets: PruneTarget[]; skipped: SkippedTensor[] } {
  const byValue = new Map<Value, Candidate[]>();
  const skipped: SkippedTensor[] = [];
  for (const node of model.graph.nodes) collectNode(node, byValue, skipped);
  const targets: PruneTarget[] = [];
  for (const [value, cands] of byValue) {
    const t = mergeCandidates(value, cands);
    if (typeof t === 'string') skipped.push({ name: value.name, node: cands[0]!.node.name, reason: t });
    else targets.push(t);
  }
  return { targets, skipped };
}

/**
 * The prunable weights of a model, in order of first use.
 *
 * @example
 * ```ts
 * const fc1 = findTargets(buildZooModel('lenet-300-100'))[0]!;
 * [fc1.name, fc1.inputAxis, fc1.outputAxis];   // ['fc1/weight', 1, 0]  (Gemm transB=1: [out, in])
 * ```
 */
export function findTargets(model: Model): PruneTarget[] {
  return analyzeTargets(model).targets;
}

function collectNode(node: Node, byValue: Map<Value, Candidate[]>, skipped: SkippedTensor[]): void {
  const rule = node.domain === '' || node.domain === 'ai.onnx' ? TARGET_RULES[node.opType] : undefined;
  if (!rule) return;
  const constants = new Map<number, Found>();
  node.inputs.forEach((v, slot) => {
    const f = v ? traceConstant(v) : undefined;
    if (f) constants.set(slot, f);
  });
  const slots = new Set(constants.keys());
  for (const [slot, found] of constants) {
    const layout = rule(node, slot, found.tensor.dims.length, slots);
    if (layout === undefined) continue;
    if (typeof layout === 'string') skipped.push({ name: found.value.name, node: node.name, reason: layout });
    else if (!isFloat(found.tensor.dtype)) skipped.push({ name: found.value.name, node: node.name, reason: `${found.tensor.dtype} weight (only float weights are masked)` });
    else byValue.set(found.value, [...(byValue.get(found.value) ?? []), { found, node, slot, layout }]);
  }
}

function sameLayout(a: Layout, b: Layout): boolean {
  return a.inputAxis === b.inputAxis && a.outputAxis === b.outputAxis && a.groups === b.groups &&
    a.kernelAxes.join() === b.kernelAxes.join();
}

function mergeCandidates(value: Value, cands: readonly Candidate[]): PruneTarget | string {
  const first = cands[0]!;
  const clash = cands.find((c) => !sameLayout(c.layout, first.layout));
  if (clash) return `read with different layouts by '${first.node.name}' (${first.node.opType}) and '${clash.node.name}' (${clash.node.opType})`;
  const t = first.found.tensor;
  return {
    name: value.name,
    node: first.node.name,
    opType: first.node.opType,
    nodes: [...new Set(cands.map((c) => c.node.name))],
    uses: cands.map((c) => ({ node: c.node.name, opType: c.node.opType, slot: c.slot, activation: c.layout.activation })),
    shape: [...t.dims],
    size: t.size,
    dtype: t.dtype,
    inputAxis: first.layout.inputAxis,
    outputAxis: first.layout.outputAxis,
    kernelAxes: first.layout.kernelAxes,
    groups: first.layout.groups,
    storage: first.found.storage,
  };
}

/**
 * The tensor a target names in `graph`, checked against the target's shape.
 *
 * @throws SecateursError `PRUNE_UNKNOWN_LAYER` when the graph has no such constant or its shape differs.
 */
export function targetTensor(graph: Graph, target: Pick<PruneTarget, 'name' | 'shape'>): Tensor {
  const v = graph.value(target.name);
  const found = v ? traceConstant(v) : undefined;
  if (!found) throw new SecateursError('PRUNE_UNKNOWN_LAYER', `graph '${graph.name}' has no constant weight named '${target.name}'.`);
  const dims = found.tensor.dims;
  if (dims.join() !== target.shape.join()) {
    throw new SecateursError('PRUNE_UNKNOWN_LAYER', `weight '${target.name}' has shape [${dims.join(', ')}], expected [${target.shape.join(', ')}].`);
  }
  return found.tensor;
}
