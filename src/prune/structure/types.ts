/**
 * Types of structured pruning: the channel rules' contract (ports, arrivals, couplings), the dependency graph's
 * groups and members, and the plan that `applyStructuredPlan` replays.
 * @module
 */
import type { Dim, Model, Node } from '../../ir/graph.js';

/** One input or output slot of a node. */
export interface Port {
  readonly side: 'in' | 'out';
  readonly index: number;
}

/**
 * Where a group's channels sit along one axis of a tensor. The axis (length L) is read as
 * `outer × span × inner`: position `p = o·span·inner + s·inner + i`. Group unit `first + j` (j < count) owns the
 * span slots `[offset + j·block, offset + (j+1)·block)`, for every `o` and `i`. Units are the seed's channels at
 * the group's granularity; units coupled to each other are merged into one group channel at the end.
 *
 * @example
 * ```ts
 * // Flatten [N,16,7,7] -> [N,784]: channel k owns features [49k, 49k+49).
 * const m: ChannelMap = { first: 0, count: 16, offset: 0, block: 1, span: 16, inner: 49 };
 * ```
 */
export interface ChannelMap {
  readonly first: number;
  readonly count: number;
  readonly offset: number;
  readonly block: number;
  readonly span: number;
  readonly inner: number;
}

/** How a group arrives at a node: through which port, on which axis, with which map. */
export interface Arrival {
  readonly port: Port;
  readonly axis: number;
  readonly map: ChannelMap;
}

/**
 * What a constant member is to its node: `source` rows produce the channels (Conv/Gemm/MatMul output side),
 * `sink` columns consume them (input side), `scale` is a BatchNormalization gamma, `stat` a running statistic,
 * `channel` any other per-channel vector or block (biases, BN beta, depthwise kernels, per-channel constants).
 */
export type MemberRole = 'source' | 'sink' | 'scale' | 'stat' | 'channel';

/** One port a rule couples to the arrival, with the axis and map the channels have there. */
export interface Link {
  readonly port: Port;
  readonly axis: number;
  readonly map: ChannelMap;
  /** Role of the tensor when it is a constant; default 'channel'. */
  readonly param?: MemberRole;
}

/** Node parameters that encode a channel count and must be recomputed when channels go (see apply). */
export type RewriteKind = 'reshape' | 'slice' | 'split' | 'expand' | 'convGroup' | 'resize' | 'hiddenSize';

/**
 * A rule's answer. `couple`: these ports carry the same channels (the node is a `source` of the group, a `sink`,
 * or neither), and `rewrite` names a parameter to recompute. `block`: the group cannot be pruned, with why.
 * `coarsen`: the group is only prunable in blocks of `factor` of its current channels (attention heads).
 */
export type RuleResult =
  | { readonly kind: 'couple'; readonly links: readonly Link[]; readonly role?: 'source' | 'sink'; readonly rewrite?: RewriteKind }
  | { readonly kind: 'block'; readonly reason: string }
  | { readonly kind: 'coarsen'; readonly factor: number; readonly reason: string };

/** What a rule may read about its node. Shapes are static (symbolic dims kept); values are folded constants. */
export interface RuleContext {
  readonly node: Node;
  /** Opset version of the node's domain. */
  readonly opset: number;
  /** True when the port exists and is not an omitted optional slot. */
  has(p: Port): boolean;
  shape(p: Port): readonly Dim[] | undefined;
  /** True for initializers and Constant-node outputs (what apply can slice). */
  isConstant(p: Port): boolean;
  /** Contents of a small integer input known before running (constant, or folded shape arithmetic), as numbers. */
  known(p: Port): readonly number[] | undefined;
  /** Like `known`, keeping symbolic elements ('N', '4*N') and unknown ones (null). */
  knownDims(p: Port): readonly Dim[] | undefined;
}

/**
 * A channel propagation rule: pure, answers for one arrival. About 30 lines; one file per op family.
 *
 * @example
 * ```ts
 * // A custom elementwise op: every float port carries the channels on the same axis.
 * const myRule: ChannelRule = (ctx, at) => ({ kind: 'couple', links: [{ port: { side: at.port.side === 'in' ? 'out' : 'in', index: 0 }, axis: at.axis, map: at.map }] });
 * ```
 */
export type ChannelRule = (ctx: RuleContext, at: Arrival) => RuleResult;

/** A place where a group starts: an output axis of a source op with `channels` channels. */
export interface Seed {
  readonly port: Port;
  readonly axis: number;
  readonly channels: number;
}

/** One row of the channel rule table. `domain` '' is ai.onnx; the row applies to opsets [since, until]. */
export interface ChannelRuleEntry {
  readonly domain: string;
  readonly opType: string;
  readonly since: number;
  readonly until?: number;
  readonly rule: ChannelRule;
  /** Where the op starts groups (sources: Conv, Gemm, MatMul with a constant weight, ...). */
  readonly seeds?: (ctx: RuleContext) => readonly Seed[];
}

/**
 * Positions of each group channel along a member's axis. The axis repeats with `period` (length = outer ×
 * period); `positions[c]` lists, within one period, the positions group channel `c` owns (sorted; empty when this
 * member does not carry channel c, e.g. one branch of a Concat).
 */
export interface IndexMap {
  readonly length: Dim;
  readonly period: number;
  readonly positions: readonly (readonly number[])[];
}

/** A tensor that carries a group's channels. */
export interface Member {
  readonly tensor: string;
  readonly axis: number;
  readonly indexMap: IndexMap;
  /** `param` for initializers and Constant-node tensors (sliced on apply); `activation` otherwise. */
  readonly kind: 'param' | 'activation';
  readonly role?: MemberRole;
}

/** Why a group cannot be pruned, and where. */
export interface BlockReason {
  readonly node: string;
  readonly opType: string;
  readonly reason: string;
}

/** A set of coupled channels: pruning channel c of the group removes position(s) `indexMap.positions[c]` of every member. */
export interface Group {
  /** Index in `DependencyGraph.groups` (deterministic: seed order, i.e. graph order of the first source). */
  readonly id: number;
  /** Name of the first source node. */
  readonly name: string;
  readonly channels: number;
  /** Positions per channel on the source weights (1 for conv channels, the head width for attention heads). */
  readonly unit: number;
  readonly members: readonly Member[];
  readonly sources: readonly string[];
  readonly sinks: readonly string[];
  /** MACs (batch 1) of the layers whose work scales with this group's channels, in proportion to its share. */
  readonly macs: number;
  /** Parameter elements that pruning every channel would remove (running statistics excluded). */
  readonly params: number;
  readonly blocked?: BlockReason;
  /** Every reason found (the first is `blocked`). */
  readonly blocks: readonly BlockReason[];
}

/** Options of `buildDependencyGraph`. */
export interface DependencyOptions {
  /** Extra rule rows, consulted before the built-in table (so a row can also override a built-in op). */
  readonly rules?: readonly ChannelRuleEntry[];
}

/** Parameters of a node that encode channel counts, recomputed on apply. */
export interface RewriteTask {
  readonly node: string;
  /** The node's first output (SSA-unique, so the node is found again in a copy of the model). */
  readonly output: string;
  readonly kind: RewriteKind;
}

/**
 * The result of the analysis: coupled channel groups of a model. Plain data plus `model`, the analyzed copy
 * (shapes inferred; tensors shared with the input), which scoring and apply read.
 */
export interface DependencyGraph {
  readonly model: Model;
  readonly groups: readonly Group[];
  /** MACs of the whole model at batch 1 (the metrics module's MAC rules). */
  readonly macs: number;
  readonly rewrites: readonly RewriteTask[];
  /** Known contents of integer values (shape arithmetic), by value name, for rewriting on apply. */
  readonly known: ReadonlyMap<string, readonly Dim[]>;
}

/** A structured pruning plan: for each group, the channel indices to remove. JSON data, replayable. */
export interface StructuredPlan {
  readonly groups: readonly { readonly id: number; readonly prune: readonly number[] }[];
}
