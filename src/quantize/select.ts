/**
 * Which nodes to quantize, decided from the graph: a node is a target when its op has a row in the layer table for
 * the mode, its weight is a float32 initializer (directly or through Identity) of a rank the op allows, and no
 * exclusion names it. Everything else that looked like a candidate is reported as skipped, with the reason.
 */
import { SecateursError } from '../errors.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { DEFAULT_OP_TYPES, layerRule, weightConstant, type LayerMode, type LayerRule } from './rules.js';
import type { NodeFilter, SkippedLayer } from './types.js';

/** A layer to quantize. */
export interface QuantTarget {
  readonly node: Node;
  readonly rule: LayerRule;
  /** The initializer holding the weight. */
  readonly weight: Value;
  readonly tensor: Tensor;
  /** Output-channel axis of the weight. */
  readonly axis: number;
  /** The bias initializer, when the op has one and it is a float32 constant. */
  readonly bias: Value | undefined;
}

/** Targets and skipped candidates. */
export interface Selection {
  readonly targets: readonly QuantTarget[];
  readonly skipped: readonly SkippedLayer[];
}

/**
 * True when `filter` names the node (exact name, a pattern matching the name, or its op type).
 *
 * @example
 * ```ts
 * excludes({ patterns: [/^fc3/] }, node);   // true for 'fc3/Gemm'
 * ```
 */
export function excludes(filter: NodeFilter | undefined, node: Node): boolean {
  if (!filter) return false;
  return (filter.names ?? []).includes(node.name) || (filter.patterns ?? []).some((p) => p.test(node.name)) ||
    (filter.opTypes ?? []).includes(node.opType);
}

/**
 * Selects the layers `mode` quantizes in `graph`.
 *
 * @throws SecateursError `QUANT_NOTHING` when no layer is left to quantize (the message lists every candidate with
 *   the reason it was skipped).
 * @example
 * ```ts
 * const { targets, skipped } = selectTargets(model.graph, 'static', { opTypes: ['Conv'] });
 * ```
 */
export function selectTargets(graph: Graph, mode: LayerMode, opts: { opTypes?: readonly string[]; exclude?: NodeFilter } = {}): Selection {
  const ops = new Set(opts.opTypes ?? DEFAULT_OP_TYPES[mode]);
  const targets: QuantTarget[] = [];
  const skipped: SkippedLayer[] = [];
  for (const node of graph.nodes) {
    const rule = layerRule(node);
    if (!rule || !ops.has(node.opType)) continue;
    const reason = excludes(opts.exclude, node) ? 'excluded' : undefined;
    const t = reason ? reason : target(graph, node, rule, mode);
    if (typeof t === 'string') skipped.push({ node: node.name, opType: node.opType, reason: t });
    else targets.push(t);
  }
  if (targets.length === 0) {
    const why = skipped.length === 0
      ? `the graph has no ${[...ops].join('/')} node`
      : `every candidate was skipped: ${skipped.map((s) => `'${s.node}' (${s.opType}): ${s.reason}`).join('; ')}`;
    throw new SecateursError('QUANT_NOTHING', `nothing to quantize in graph '${graph.name}' (mode ${mode}): ${why}.`);
  }
  return { targets, skipped };
}

function target(graph: Graph, node: Node, rule: LayerRule, mode: LayerMode): QuantTarget | string {
  if (!rule.modes.includes(mode)) return `${mode} quantization has no ${node.opType} kernel`;
  const w = weightConstant(node.input(rule.weightSlot));
  if (!w) return `weight (input ${rule.weightSlot}) is not a constant initializer`;
  if (graph.inputs.includes(w.value)) return `weight '${w.value.name}' is also a graph input (it can be replaced at run time)`;
  if (w.tensor.dtype !== 'float32') return `weight '${w.value.name}' is ${w.tensor.dtype}, not float32`;
  const data = node.input(rule.dataSlot);
  if (!data) return 'no data input';
  if (data.dtype !== undefined && data.dtype !== 'float32') return `input '${data.name}' is ${data.dtype}, not float32`;
  const axis = rule.channelAxis(node, w.tensor.dims);
  if (typeof axis === 'string') return axis;
  return { node, rule, weight: w.value, tensor: w.tensor, axis, bias: biasOf(node, rule, w.tensor.dims[axis]!) };
}

function biasOf(node: Node, rule: LayerRule, channels: number): Value | undefined {
  if (rule.biasSlot === undefined) return undefined;
  const b = weightConstant(node.input(rule.biasSlot));
  if (!b || b.tensor.dtype !== 'float32' || b.tensor.dims.length !== 1 || b.tensor.dims[0] !== channels) return undefined;
  return b.value;
}
