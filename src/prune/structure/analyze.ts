/**
 * `buildDependencyGraph`: seeds a group at every source (graph order), grows it with the engine, and turns the
 * result into plain data: members with per-channel positions, sources, sinks, MACs and parameters at stake, and
 * the reasons a group is blocked. Analysis only: the input model is never modified.
 * @module
 */
import { cloneModel } from '../../ir/clone.js';
import type { Dim, Model, Node, Value } from '../../ir/graph.js';
import { inferShapes } from '../../ir/shapes/index.js';
import { findMacRule } from '../../metrics/index.js';
import { periodOf, unitsOf } from './channel-map.js';
import { Analysis, find, growGroup, portValue, type GrownGroup, type MemberState } from './engine.js';
import { foldValues } from './fold.js';
import { recurrentShapes } from './rules/recurrent.js';
import { constantTensor } from './tensors.js';
import type { DependencyGraph, DependencyOptions, Group, Member, RewriteTask } from './types.js';

/**
 * Finds the coupled channel groups of a model. Deterministic: groups in graph order of their first source, ids
 * 0, 1, 2, ...; the same model gives the same groups.
 *
 * @example
 * ```ts
 * const dg = buildDependencyGraph(buildZooModel('resnet-small'));
 * dg.groups.filter((g) => !g.blocked).map((g) => [g.name, g.channels]);
 * // [['stem/conv/conv/Conv', 16], ['layer1/conv1/conv/Conv', 16], ...]
 * ```
 */
export function buildDependencyGraph(model: Model, options: DependencyOptions = {}): DependencyGraph {
  const work = cloneModel(model);
  inferShapes(work);
  if (fillRecurrentShapes(work)) inferShapes(work);
  const known = foldValues(work);
  const an = new Analysis(work, known, options.rules ?? []);
  const macs = nodeMacs(work);
  const coverage = new Map<Value, Map<number, Int32Array>>();
  const grown: GrownGroup[] = [];
  for (const node of work.graph.nodes) {
    const seeds = an.entry(node)?.seeds?.(an.context(node)) ?? [];
    for (const seed of seeds) {
      const v = portValue(node, seed.port);
      if (!v) continue;
      for (const [start, length] of uncovered(coverage, v, seed.axis, seed.channels)) {
        const g = growGroup(an, node, seed, start, length);
        cover(coverage, g, grown.length);
        grown.push(g);
      }
    }
  }
  const groups = grown.map((g, id) => toGroup(g, id, macs));
  const rewrites: RewriteTask[] = [];
  const seen = new Set<string>();
  for (const node of work.graph.nodes) {
    for (const g of grown) {
      const kind = g.rewrites.get(node);
      const output = node.outputs.find((v) => v !== null)?.name;
      if (kind && output && !seen.has(output)) { seen.add(output); rewrites.push({ node: node.name, output, kind }); }
    }
  }
  const total = [...macs.values()].reduce((a, b) => a + b, 0);
  return { model: work, groups, macs: total, rewrites, known };
}

/** Sets the output shapes of recurrent nodes the static inference left unknown; true when any was set. */
function fillRecurrentShapes(model: Model): boolean {
  let filled = false;
  for (const node of model.graph.nodes) {
    if (!RECURRENT.has(node.opType) || (node.domain !== '' && node.domain !== 'ai.onnx')) continue;
    recurrentShapes(node)?.forEach((shape, i) => {
      const v = node.output(i);
      if (v && shape && !v.shape) { v.shape = shape; v.dtype ??= node.input(0)?.dtype; filled = true; }
    });
  }
  return filled;
}

const RECURRENT = new Set(['LSTM', 'GRU', 'RNN']);

/** Runs of [start, length) of a seed's channels not yet owned by a group. */
function uncovered(coverage: Map<Value, Map<number, Int32Array>>, v: Value, axis: number, channels: number): [number, number][] {
  const owned = coverage.get(v)?.get(axis);
  if (owned && owned.length !== channels) return [];
  const runs: [number, number][] = [];
  for (let p = 0; p < channels; p++) {
    if (owned && owned[p]! >= 0) continue;
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === p) last[1]++;
    else runs.push([p, 1]);
  }
  return runs;
}

/** Records the positions a group owns; positions already owned by another group block the group. */
function cover(coverage: Map<Value, Map<number, Int32Array>>, g: GrownGroup, id: number): void {
  for (const m of allMembers(g)) {
    const period = periodOf(m.maps[0]!);
    const byAxis = coverage.get(m.value) ?? new Map<number, Int32Array>();
    coverage.set(m.value, byAxis);
    const owned = byAxis.get(m.axis) ?? new Int32Array(period).fill(-1);
    byAxis.set(m.axis, owned);
    if (owned.length !== period) continue;
    for (const map of m.maps) {
      unitsOf(map).forEach((u, p) => {
        if (u < 0) return;
        const other = owned[p]!;
        if (other >= 0 && other !== id) {
          g.blocks.push({ node: m.value.name, opType: 'tensor', reason: `positions of '${m.value.name}' also belong to group ${other}` });
        }
        owned[p] = id;
      });
    }
  }
}

/** MACs of every node at batch 1 (symbolic dims fixed to 1), by node name. */
function nodeMacs(model: Model): Map<string, number> {
  const fixed = cloneModel(model);
  const dims: Record<string, number> = {};
  for (const v of fixed.graph.allValues()) for (const d of v.shape ?? []) if (typeof d === 'string' && !d.includes('*')) dims[d] = 1;
  inferShapes(fixed, { fixedDims: dims });
  const numeric = (v: Value | undefined): readonly number[] | undefined => {
    const s = v ? constantTensor(v)?.dims ?? v.shape : undefined;
    return s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
  };
  const out = new Map<string, number>();
  for (const node of fixed.graph.nodes) {
    const rule = findMacRule(node.domain, node.opType, fixed.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain));
    const m = rule?.({ node, input: (i) => numeric(node.input(i)), output: (i) => numeric(node.output(i)) });
    if (m) out.set(node.name, m);
  }
  return out;
}

function allMembers(g: GrownGroup): MemberState[] {
  return [...g.members.values()].flatMap((byAxis) => [...byAxis.values()]);
}

/** Group channels: the union-find classes of units, ordered by their smallest unit. */
function channelOf(g: GrownGroup): { count: number; of: Int32Array } {
  const of = new Int32Array(g.units);
  const index = new Map<number, number>();
  for (let u = 0; u < g.units; u++) {
    const r = find(g.parent, u);
    if (!index.has(r)) index.set(r, index.size);
    of[u] = index.get(r)!;
  }
  return { count: index.size, of };
}

function toGroup(g: GrownGroup, id: number, macs: ReadonlyMap<string, number>): Group {
  const { count, of } = channelOf(g);
  const members: Member[] = [];
  const share = new Map<Value, number>();
  const kept = new Map<Value, number>();
  for (const m of allMembers(g)) {
    const period = periodOf(m.maps[0]!);
    const positions = Array.from({ length: count }, () => [] as number[]);
    for (const map of m.maps) unitsOf(map).forEach((u, p) => { if (u >= 0) positions[of[u]!]!.push(p); });
    positions.forEach((list) => list.sort((a, b) => a - b));
    const fraction = positions.reduce((n, l) => n + l.length, 0) / period;
    share.set(m.value, Math.max(fraction, share.get(m.value) ?? 0));
    const tensor = constantTensor(m.value);
    const constant = tensor !== undefined;
    if (tensor && m.role !== 'stat') kept.set(m.value, (kept.get(m.value) ?? 1) * (1 - fraction));
    const length: Dim = tensor?.dims[m.axis] ?? m.value.shape?.[m.axis] ?? null;
    members.push({
      tensor: m.value.name, axis: m.axis, indexMap: { length, period, positions },
      kind: constant ? 'param' : 'activation', ...(constant ? { role: m.role ?? 'channel' } : {}),
    });
  }
  const sources = [...g.sources].map((n) => n.name);
  const blocks = [...g.blocks];
  if (sources.length === 0 && blocks.length === 0) blocks.push({ node: g.seedNode.name, opType: g.seedNode.opType, reason: 'the group has no source layer' });
  return {
    id,
    name: g.seedNode.name,
    channels: count,
    unit: unitWidth(g, members),
    members,
    sources,
    sinks: [...g.sinks].map((n) => n.name),
    macs: Math.round(sumAtStake(g.touched, share, macs)),
    params: Math.round([...kept].reduce((n, [v, k]) => n + constantTensor(v)!.size * (1 - k), 0)),
    ...(blocks[0] ? { blocked: blocks[0] } : {}),
    blocks,
  };
}

/** MACs of touched layers times the share of their channels the group holds (the largest over their ports). */
function sumAtStake(nodes: ReadonlySet<Node>, share: ReadonlyMap<Value, number>, macs: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const n of nodes) {
    const m = macs.get(n.name);
    if (!m) continue;
    const ports = [...n.inputs, ...n.outputs].filter((v): v is Value => v !== null);
    total += m * Math.max(0, ...ports.map((v) => share.get(v) ?? 0));
  }
  return total;
}

/** Positions per channel on the source weights (gcd over them), 1 when there are none. */
function unitWidth(g: GrownGroup, members: readonly Member[]): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let w = 0;
  for (const m of members) if (m.role === 'source') for (const list of m.indexMap.positions) if (list.length > 0) w = gcd(w, list.length);
  return w || g.block;
}
