import type { Model, Node, Value } from '../ir/graph.js';

/** What a trainable tensor is to the node that uses it. */
/** What a parameter is: a layer weight or bias, a normalization scale, or a learned tensor used directly (a ViT class
 * token or position embedding added to or concatenated with activations). */
export type ParamRole = 'weight' | 'bias' | 'scale' | 'operand';

/** One trainable initializer. */
export interface ParamInfo {
  /** Initializer name (unique in the graph). */
  readonly name: string;
  readonly dims: readonly number[];
  readonly size: number;
  readonly role: ParamRole;
  /** The first node (in graph order) that reads it as a parameter, and its op type. */
  readonly node: string;
  readonly opType: string;
}

/** Options of {@link trainableParams}; patterns are tested against initializer names. */
export interface ParamFilter {
  /** Keep only parameters whose name matches. */
  readonly include?: RegExp;
  /** Drop parameters whose name matches (applied after `include`). */
  readonly exclude?: RegExp;
}

/** Input slots that hold parameters, by op type (ai.onnx). */
const PARAM_SLOTS: Readonly<Record<string, readonly (readonly [number, ParamRole])[]>> = {
  Conv: [[1, 'weight'], [2, 'bias']],
  ConvTranspose: [[1, 'weight'], [2, 'bias']],
  Gemm: [[0, 'weight'], [1, 'weight'], [2, 'bias']],
  MatMul: [[0, 'weight'], [1, 'weight']],
  BatchNormalization: [[1, 'scale'], [2, 'bias']],
  LayerNormalization: [[1, 'scale'], [2, 'bias']],
};

/** Ops whose data operands may be learned tensors (class tokens, position embeddings), and which inputs. */
const EMBEDDING_SLOTS: Readonly<Record<string, readonly number[]>> = { Add: [0, 1], Sub: [0, 1], Mul: [0, 1], Concat: [], Expand: [0] };

/** Ops whose output a following `Add` of an initializer biases (PyTorch exports Linear on rank-3 inputs as MatMul + Add). */
const BIASED_BY_ADD = new Set(['MatMul', 'Conv', 'ConvTranspose', 'Gemm']);

const isFloatInit = (v: Value | undefined | null): v is Value => v?.constant?.dtype === 'float32';

/**
 * The float32 initializers a fine-tune updates, decided from the graph: weights and biases of Conv, ConvTranspose,
 * Gemm and MatMul (and the initializer an `Add` puts on their output: the bias of an exported Linear), scale and bias
 * of BatchNormalization and LayerNormalization, and learned tensors used directly as operands of Add/Sub/Mul/Concat/
 * Expand (class tokens, position embeddings, decomposed-LayerNorm scales; at least 2 elements, so scalar constants stay fixed). BatchNormalization's
 * running mean and variance are not trainable (they
 * are running statistics). Graph order; a tensor shared by several nodes appears once. Initializers that are also graph
 * inputs (overridable defaults) are skipped.
 *
 * @example
 * ```ts
 * const params = trainableParams(buildZooModel('lenet5'), { exclude: /bias$/ });
 * params.map((p) => p.name);   // ['conv1/weight', 'conv2/weight', 'fc1/weight', 'fc2/weight']
 * ```
 */
export function trainableParams(model: Model, filter: ParamFilter = {}): ParamInfo[] {
  const g = model.graph;
  const inputs = new Set(g.inputs);
  const found = new Map<Value, { role: ParamRole; node: Node }>();
  const runningStats = new Set(g.nodes.filter((n) => n.opType === 'BatchNormalization').flatMap((n) => [n.input(3), n.input(4)]));
  const take = (v: Value | undefined | null, role: ParamRole, node: Node): void => {
    if (isFloatInit(v) && !inputs.has(v) && !found.has(v)) found.set(v, { role, node });
  };
  for (const node of g.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') continue;
    for (const [slot, role] of PARAM_SLOTS[node.opType] ?? []) take(node.input(slot), role, node);
    if (node.opType === 'Add') {
      const [a, b] = [node.input(0), node.input(1)];
      if (b && a?.producer && BIASED_BY_ADD.has(a.producer.opType)) take(b, 'bias', node);
      if (a && b?.producer && BIASED_BY_ADD.has(b.producer.opType)) take(a, 'bias', node);
    }
  }
  for (const node of g.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') continue;
    const slots = EMBEDDING_SLOTS[node.opType];
    if (!slots) continue;
    const list = slots.length > 0 ? slots : node.inputs.map((_, i) => i);
    for (const i of list) {
      const v = node.input(i);
      if (v && (v.constant?.size ?? 0) >= 2 && !runningStats.has(v)) take(v, 'operand', node);
    }
  }
  // Graph order of first use, not initializer order: a model saved with sparse initializers lists those last when
  // read back, and the parameter order must not depend on how the file stored them (checkpoints compare it).
  const out: ParamInfo[] = [];
  for (const [v, hit] of found) {
    if (filter.include && !filter.include.test(v.name)) continue;
    if (filter.exclude && filter.exclude.test(v.name)) continue;
    const dims = v.constant!.dims;
    out.push({ name: v.name, dims, size: v.constant!.size, role: hit.role, node: hit.node.name, opType: hit.node.opType });
  }
  return out;
}

/** Running statistics of one BatchNormalization node (inference form: inputs 3 and 4). */
export interface BatchNormStats {
  readonly node: string;
  readonly mean: string;
  readonly variance: string;
  readonly channels: number;
}

/**
 * The running-mean and running-variance initializers of every BatchNormalization node (float32 only), graph order.
 *
 * @example
 * ```ts
 * batchNormStats(buildZooModel('resnet-small'))[0]?.mean;   // e.g. 'stem/bn/mean'
 * ```
 */
export function batchNormStats(model: Model): BatchNormStats[] {
  const out: BatchNormStats[] = [];
  for (const node of model.graph.nodes) {
    if (node.opType !== 'BatchNormalization' || (node.domain !== '' && node.domain !== 'ai.onnx')) continue;
    const mean = node.input(3);
    const variance = node.input(4);
    if (!isFloatInit(mean) || !isFloatInit(variance)) continue;
    out.push({ node: node.name, mean: mean.name, variance: variance.name, channels: mean.constant!.size });
  }
  return out;
}

/**
 * Keep-masks (1 keeps, 0 prunes) of every trainable float32 weight that has exact zeros: what fine-tuning a pruned
 * model passes as `masks` so its pruned weights stay zero. Tensors without zeros get no mask.
 *
 * @example
 * ```ts
 * const r = await train(pruned, trainSet, { epochs: 1, masks: zeroMasks(pruned) });
 * ```
 */
export function zeroMasks(model: Model, filter: ParamFilter = {}): Map<string, Uint8Array> {
  const masks = new Map<string, Uint8Array>();
  for (const p of trainableParams(model, filter)) {
    const t = model.graph.requireValue(p.name).constant;
    if (t?.dtype !== 'float32') continue;
    const w = t.toFloat32();
    if (w.some((v) => v === 0)) masks.set(p.name, Uint8Array.from(w, (v) => (v === 0 ? 0 : 1)));
  }
  return masks;
}
