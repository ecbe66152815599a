/**
 * The propagation engine: grows one group from a seed by asking each reached node's rule which other ports carry
 * the same channels, both downstream (consumers) and upstream (producers), until nothing new is reached. Units
 * (the seed's channels at the group's granularity) reached at the same positions from two paths are merged with a
 * union-find: that is how Q, K and V heads of a fused projection become one head group. A rule asking to coarsen
 * restarts the group with wider units.
 * @module
 */
import type { Dim, Model, Node, Value } from '../../ir/graph.js';
import { outerReads, subgraphsOf } from '../../ir/passes.js';
import { periodOf, seedMap, unitsOf } from './channel-map.js';
import { findChannelRule } from './registry.js';
import { IN, OUT } from './rules/common.js';
import { constantTensor } from './tensors.js';
import type { Arrival, BlockReason, ChannelMap, ChannelRuleEntry, MemberRole, Port, RewriteKind, RuleContext, Seed } from './types.js';

/** A tensor reached by a group: its axis, the maps it was reached with, and its role when constant. */
export interface MemberState {
  readonly value: Value;
  readonly axis: number;
  readonly maps: ChannelMap[];
  role: MemberRole | undefined;
}

/** A grown group, before it is turned into public data. */
export interface GrownGroup {
  readonly seedNode: Node;
  readonly units: number;
  /** Seed channels per unit. */
  readonly block: number;
  /** Members by tensor, then axis (a weight can carry one group on both axes: t=1 MobileNet blocks). */
  readonly members: Map<Value, Map<number, MemberState>>;
  readonly sources: Set<Node>;
  readonly sinks: Set<Node>;
  readonly touched: Set<Node>;
  readonly blocks: BlockReason[];
  readonly rewrites: Map<Node, RewriteKind>;
  /** Union-find parents of the units. */
  readonly parent: Int32Array;
}

/** The value at a port of a node. */
export function portValue(node: Node, p: Port): Value | undefined {
  return p.side === 'in' ? node.input(p.index) : node.output(p.index);
}

/** Rules, contexts and graph facts shared by all groups of one analysis. */
export class Analysis {
  private readonly contexts = new Map<Node, RuleContext>();
  private readonly inputs: Set<Value>;
  private readonly outputs: Set<Value>;
  /** Values read inside subgraphs (If/Loop/Scan bodies), with the reading node. */
  readonly subgraphReads = new Map<Value, Node>();

  constructor(readonly model: Model, readonly known: ReadonlyMap<string, readonly Dim[]>, readonly extra: readonly ChannelRuleEntry[]) {
    this.inputs = new Set(model.graph.inputs);
    this.outputs = new Set(model.graph.outputs);
    for (const n of model.graph.nodes) if (subgraphsOf(n).length > 0) for (const v of outerReads(n, model.graph)) this.subgraphReads.set(v, n);
  }

  opset(node: Node): number {
    return this.model.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain) ?? 1;
  }

  entry(node: Node): ChannelRuleEntry | undefined {
    return findChannelRule(node.domain, node.opType, this.opset(node), this.extra);
  }

  isGraphOutput(v: Value): boolean {
    return this.outputs.has(v);
  }

  isGraphInput(v: Value): boolean {
    return this.inputs.has(v) && !v.constant;
  }

  context(node: Node): RuleContext {
    const hit = this.contexts.get(node);
    if (hit) return hit;
    const known = this.known;
    const knownDims = (p: Port): readonly Dim[] | undefined => {
      const v = portValue(node, p);
      return v ? known.get(v.name) : undefined;
    };
    const ctx: RuleContext = {
      node,
      opset: this.opset(node),
      has: (p) => portValue(node, p) !== undefined,
      shape: (p) => {
        const v = portValue(node, p);
        return v ? constantTensor(v)?.dims ?? v.shape : undefined;
      },
      isConstant: (p) => {
        const v = portValue(node, p);
        return v !== undefined && constantTensor(v) !== undefined;
      },
      knownDims,
      known: (p) => {
        const d = knownDims(p);
        return d && d.every((x) => typeof x === 'number') ? (d as readonly number[]) : undefined;
      },
    };
    this.contexts.set(node, ctx);
    return ctx;
  }
}

type Step =
  | { readonly kind: 'visit'; readonly value: Value; readonly axis: number; readonly map: ChannelMap; readonly param: MemberRole | undefined; readonly from: Node }
  | { readonly kind: 'rule'; readonly node: Node; readonly at: Arrival };

/**
 * Grows the group of `seed` on `node`, for the seed channels [start, start + length).
 *
 * @example
 * ```ts
 * const g = growGroup(analysis, convNode, { port: OUT(0), axis: 1, channels: 16 }, 0, 16);
 * g.sinks;   // the convs that read these channels
 * ```
 */
export function growGroup(an: Analysis, node: Node, seed: Seed, start: number, length: number): GrownGroup {
  let block = 1;
  for (;;) {
    const r = grow(an, node, seed, start, length, block, false);
    if (r.kind === 'group') return r.group;
    if (length % (block * r.factor) !== 0) {
      const g = grow(an, node, seed, start, length, block, true);
      if (g.kind === 'group') {
        g.group.blocks.unshift({ node: r.node.name, opType: r.node.opType, reason: `${r.reason}, which does not divide ${length} channels` });
        return g.group;
      }
    }
    block *= r.factor;
  }
}

type GrowResult = { readonly kind: 'group'; readonly group: GrownGroup } | { readonly kind: 'coarsen'; readonly factor: number; readonly reason: string; readonly node: Node };

function grow(an: Analysis, seedNode: Node, seed: Seed, start: number, length: number, block: number, noCoarsen: boolean): GrowResult {
  const units = length / block;
  const g: GrownGroup = {
    seedNode, units, block, members: new Map(), sources: new Set(), sinks: new Set(), touched: new Set(), blocks: [],
    rewrites: new Map(), parent: Int32Array.from({ length: units }, (_, i) => i),
  };
  const seedValue = portValue(seedNode, seed.port)!;
  const queue: Step[] = [{ kind: 'visit', value: seedValue, axis: seed.axis, map: seedMap(seed.channels, block, start, units), param: undefined, from: seedNode }];
  for (let i = 0; i < queue.length; i++) {
    const step = queue[i]!;
    if (step.kind === 'visit') {
      visit(an, g, step, queue);
      continue;
    }
    const res = applyRule(an, g, step.node, step.at, queue);
    if (res) {
      if (!noCoarsen) return { kind: 'coarsen', factor: res.factor, reason: res.reason, node: step.node };
      addBlock(g, step.node, `${res.reason} (coarsening impossible)`);
    }
  }
  return { kind: 'group', group: g };
}

function addBlock(g: GrownGroup, node: { name: string; opType: string }, reason: string): void {
  if (!g.blocks.some((b) => b.node === node.name && b.reason === reason)) g.blocks.push({ node: node.name, opType: node.opType, reason });
}

function visit(an: Analysis, g: GrownGroup, s: Extract<Step, { kind: 'visit' }>, queue: Step[]): void {
  const { value: v, axis, map } = s;
  const byAxis = g.members.get(v) ?? new Map<number, MemberState>();
  g.members.set(v, byAxis);
  const old = byAxis.get(axis);
  if (old) {
    const rel = relate(g, old.maps, map);
    if (rel === 'inside') return;
    if (rel === 'partial') return addBlock(g, s.from, `tensor '${v.name}' is reached with overlapping channel layouts`);
    old.maps.push(map);
    old.role ??= s.param;
  } else {
    byAxis.set(axis, { value: v, axis, maps: [map], role: s.param });
  }
  const producer = v.producer;
  const at = producer ?? { name: v.name, opType: 'graph input' };
  if (an.isGraphOutput(v)) addBlock(g, at, `reaches graph output '${v.name}': its shape would change`);
  if (an.isGraphInput(v)) addBlock(g, at, `reaches graph input '${v.name}': its shape is fixed by the caller`);
  const reader = an.subgraphReads.get(v);
  if (reader) addBlock(g, reader, `tensor '${v.name}' is read inside a subgraph of '${reader.name}'`);
  if (producer) queue.push({ kind: 'rule', node: producer, at: { port: OUT(producer.outputs.indexOf(v)), axis, map } });
  for (const u of v.uses) queue.push({ kind: 'rule', node: u.node, at: { port: IN(u.index), axis, map } });
}

/** How a new map relates to the maps a tensor already has; unifies units on shared positions. */
function relate(g: GrownGroup, maps: readonly ChannelMap[], map: ChannelMap): 'disjoint' | 'inside' | 'partial' {
  const period = periodOf(map);
  if (maps.some((m) => periodOf(m) !== period)) return 'partial';
  const have = new Int32Array(period).fill(-1);
  for (const m of maps) unitsOf(m).forEach((u, p) => { if (u >= 0) have[p] = u; });
  const add = unitsOf(map);
  let total = 0;
  let shared = 0;
  add.forEach((u, p) => { if (u >= 0) { total++; if (have[p]! >= 0) shared++; } });
  if (shared === 0) return 'disjoint';
  if (shared < total) return 'partial';
  add.forEach((u, p) => { if (u >= 0) union(g.parent, u, have[p]!); });
  return 'inside';
}

/** Root of a unit in the union-find. */
export function find(parent: Int32Array, u: number): number {
  let r = u;
  while (parent[r] !== r) r = parent[r]!;
  while (parent[u] !== r) { const n = parent[u]!; parent[u] = r; u = n; }
  return r;
}

function union(parent: Int32Array, a: number, b: number): void {
  const [ra, rb] = [find(parent, a), find(parent, b)];
  if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
}

function applyRule(an: Analysis, g: GrownGroup, node: Node, at: Arrival, queue: Step[]): { factor: number; reason: string } | undefined {
  const entry = an.entry(node);
  if (!entry) {
    const domain = node.domain === '' ? 'ai.onnx' : node.domain;
    addBlock(g, node, `no channel rule for ${domain} ${node.opType} (opset ${an.opset(node)}); add one with options.rules`);
    return undefined;
  }
  const res = entry.rule(an.context(node), at);
  if (res.kind === 'block') { addBlock(g, node, res.reason); return undefined; }
  if (res.kind === 'coarsen') return res;
  g.touched.add(node);
  if (res.role === 'source') g.sources.add(node);
  if (res.role === 'sink') g.sinks.add(node);
  if (res.rewrite) g.rewrites.set(node, res.rewrite);
  for (const l of res.links) {
    const v = portValue(node, l.port);
    if (v) queue.push({ kind: 'visit', value: v, axis: l.axis, map: l.map, param: l.param, from: node });
  }
  return undefined;
}
