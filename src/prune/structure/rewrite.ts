/**
 * Rewrites of node parameters that spell channel counts, one function per kind, all computed from the removal
 * table and the shapes/folded values of the analysis: Reshape targets (rebuilt from the new output shape, 0 or -1
 * for the symbolic dims, so a head count or a C·H·W written in a constant — or computed by shape arithmetic — is
 * replaced), Slice bounds and Split sizes along a pruned axis, Expand and Resize targets, the `group` of a
 * grouped Conv and the `hidden_size` of a recurrent op. New values become initializers; the old constants and shape chains are left to `cleanup`.
 * @module
 */
import { SecateursError } from '../../errors.js';
import type { DataType } from '../../ir/dtype.js';
import type { Dim, Model, Node, Value } from '../../ir/graph.js';
import { toposort } from '../../ir/passes.js';
import { Tensor } from '../../ir/tensor.js';
import { prunedShape, removedBefore, type RemovalTable } from './removal.js';
import { sliceBounds } from './rules/slicing.js';
import type { DependencyGraph, RewriteKind } from './types.js';

/** What a rewrite reads and edits. `node` is in the output model; `ref` is the same node in the analysis model. */
export interface RewriteContext {
  readonly out: Model;
  readonly node: Node;
  readonly ref: Node;
  readonly dg: DependencyGraph;
  readonly removal: RemovalTable;
  readonly opset: number;
}

type Rewrite = (ctx: RewriteContext) => void;

function shapeOf(v: Value | undefined): readonly Dim[] {
  const s = v?.constant?.dims ?? v?.shape;
  if (!s) throw new SecateursError('PRUNE_REWRITE', `shape of '${v?.name ?? '?'}' unknown while rewriting.`);
  return s;
}

/** The analysis shape of a value and its shape after the removals. */
function shapes(ctx: RewriteContext, v: Value | undefined): { before: readonly Dim[]; after: Dim[] } {
  const before = shapeOf(v);
  return { before, after: prunedShape(before, v ? ctx.removal.get(v.name) : undefined) };
}

function changed(ctx: RewriteContext): boolean {
  return [...ctx.ref.inputs, ...ctx.ref.outputs].some((v) => v !== null && ctx.removal.has(v.name));
}

/** Points input `i` of the node at a new integer initializer. */
function setInput(ctx: RewriteContext, i: number, values: readonly number[], dtype: DataType, hint: string): void {
  const t = Tensor.fromArray(dtype, [values.length], values);
  ctx.node.setInput(i, ctx.out.graph.addInitializer(`${ctx.node.name || ctx.node.opType}/${hint}`, t));
}

function knownNumbers(ctx: RewriteContext, i: number): number[] | undefined {
  const v = ctx.ref.input(i);
  const d = v ? ctx.dg.known.get(v.name) : undefined;
  return d && d.every((x) => typeof x === 'number') ? [...(d as number[])] : undefined;
}

const reshape: Rewrite = (ctx) => {
  const x = shapes(ctx, ctx.ref.input(0)).after;
  const y = shapes(ctx, ctx.ref.output(0)).after;
  const zeroCopies = ctx.ref.attrInt('allowzero', 0) === 0;
  const old = ctx.dg.known.get(ctx.ref.input(1)?.name ?? '');
  const target = (keepStyle: boolean): number[] => y.map((d, j) => {
    const o = keepStyle ? old?.[j] : undefined;
    if (o === -1) return -1;
    if (o === 0 && zeroCopies && x[j] === d) return 0;
    if (typeof d === 'number') return d;
    return zeroCopies && d !== null && x[j] === d ? 0 : -1;
  });
  const free = (t: number[]): number => t.filter((d) => d === -1).length;
  let t = target(true);
  if (free(t) > 1) t = target(false);
  if (free(t) <= 1) return setInput(ctx, 1, t, 'int64', 'pruned_shape');
  spliceTarget(ctx, old, shapes(ctx, ctx.ref.output(0)).before, y);
};

/**
 * A target with more than one dim unknown statically (computed by Shape arithmetic at run time) is kept, and only
 * the entries of the axes that lost positions are replaced: target · keep + fresh, where keep is 0 and fresh the new
 * size on those axes. Each replaced entry must have been a constant equal to the old size (the rule checked it).
 */
function spliceTarget(ctx: RewriteContext, old: readonly Dim[] | undefined, before: readonly Dim[], after: readonly Dim[]): void {
  const changed = before.map((d, j) => d !== after[j]);
  const bad = changed.flatMap((c, j) => (c && (old?.length !== before.length || old[j] !== before[j] || typeof after[j] !== 'number') ? [j] : []));
  if (bad.length > 0) {
    throw new SecateursError('PRUNE_REWRITE', `Reshape '${ctx.node.name}': new shape [${after.join(', ')}] has more than one free dim, and the target entries of axes ${bad.join(', ')} are not constants.`);
  }
  const g = ctx.out.graph;
  const name = ctx.node.name || ctx.node.opType;
  const keep = g.addInitializer(`${name}/keep_entries`, Tensor.fromArray('int64', [changed.length], changed.map((c) => (c ? 0 : 1))));
  const fresh = g.addInitializer(`${name}/pruned_entries`, Tensor.fromArray('int64', [changed.length], after.map((d, j) => (changed[j] ? d as number : 0))));
  const kept = g.addNode('Mul', [ctx.node.input(1)!, keep], { name: `${name}/keep` }).output(0)!;
  const target = g.addNode('Add', [kept, fresh], { name: `${name}/splice` }).output(0)!;
  [kept, target].forEach((v) => { v.dtype = 'int64'; v.shape = [changed.length]; });
  ctx.node.setInput(1, target);
  toposort(g);
}

const slice: Rewrite = (ctx) => {
  const data = ctx.ref.input(0)!;
  const before = shapeOf(data);
  const removal = ctx.removal.get(data.name);
  const attrs = ctx.opset < 10;
  const starts = attrs ? [...ctx.ref.attrInts('starts')!] : knownNumbers(ctx, 1);
  const ends = attrs ? [...ctx.ref.attrInts('ends')!] : knownNumbers(ctx, 2);
  if (!starts || !ends) throw new SecateursError('PRUNE_REWRITE', `Slice '${ctx.node.name}': bounds not known.`);
  const axes = (attrs ? ctx.ref.attrInts('axes') : ctx.ref.input(3) ? knownNumbers(ctx, 3) : undefined) ?? starts.map((_, i) => i);
  axes.forEach((a0, k) => {
    const a = a0 < 0 ? a0 + before.length : a0;
    const r = removal?.get(a);
    const length = before[a];
    if (!r || typeof length !== 'number') return;
    const [s, e] = sliceBounds(starts[k]!, ends[k]!, length);
    starts[k] = s - removedBefore(r, s);
    ends[k] = Math.max(s, e) - removedBefore(r, Math.max(s, e));
  });
  if (attrs) {
    ctx.node.attributes.set('starts', { type: 'ints', value: starts });
    ctx.node.attributes.set('ends', { type: 'ints', value: ends });
    return;
  }
  const dtype = ctx.ref.input(1)?.dtype ?? 'int64';
  setInput(ctx, 1, starts, dtype, 'pruned_starts');
  setInput(ctx, 2, ends, dtype, 'pruned_ends');
};

const split: Rewrite = (ctx) => {
  const data = ctx.ref.input(0)!;
  const before = shapeOf(data);
  const axis = ((a) => (a < 0 ? a + before.length : a))(ctx.ref.attrInt('axis', 0));
  const r = ctx.removal.get(data.name)?.get(axis);
  if (!r) return;
  const sizes = ctx.ref.outputs.map((v) => shapeOf(v ?? undefined)[axis]);
  if (!sizes.every((d): d is number => typeof d === 'number')) throw new SecateursError('PRUNE_REWRITE', `Split '${ctx.node.name}': sizes unknown.`);
  let lo = 0;
  const next = sizes.map((n) => {
    const kept = n - (removedBefore(r, lo + n) - removedBefore(r, lo));
    lo += n;
    return kept;
  });
  ctx.node.attributes.delete('num_outputs');
  if (ctx.opset < 13) ctx.node.attributes.set('split', { type: 'ints', value: next });
  else setInput(ctx, 1, next, 'int64', 'pruned_split');
};

const expand: Rewrite = (ctx) => {
  const { before, after } = shapes(ctx, ctx.ref.output(0));
  const target = knownNumbers(ctx, 1);
  if (!target) throw new SecateursError('PRUNE_REWRITE', `Expand '${ctx.node.name}': target not known.`);
  const off = before.length - target.length;
  setInput(ctx, 1, target.map((t, j) => (t === before[j + off] && typeof after[j + off] === 'number' ? (after[j + off] as number) : t)), 'int64', 'pruned_shape');
};

const convGroup: Rewrite = (ctx) => {
  const { before, after } = shapes(ctx, ctx.ref.input(0));
  const [c0, c1, g] = [before[1], after[1], ctx.ref.attrInt('group', 1)];
  if (typeof c0 !== 'number' || typeof c1 !== 'number') throw new SecateursError('PRUNE_REWRITE', `Conv '${ctx.node.name}': channels unknown.`);
  ctx.node.attributes.set('group', { type: 'int', value: (g * c1) / c0 });
};

const resize: Rewrite = (ctx) => {
  const after = shapes(ctx, ctx.ref.output(0)).after;
  const sizes = knownNumbers(ctx, 3);
  if (!sizes) throw new SecateursError('PRUNE_REWRITE', `Resize '${ctx.node.name}': sizes not known.`);
  const axes = ctx.ref.attrInts('axes') ?? sizes.map((_, i) => i);
  setInput(ctx, 3, sizes.map((s, k) => {
    const d = after[axes[k]! < 0 ? axes[k]! + after.length : axes[k]!];
    return typeof d === 'number' ? d : s;
  }), 'int64', 'pruned_sizes');
};

const hiddenSize: Rewrite = (ctx) => {
  const w = ctx.ref.input(1);
  const r = w ? ctx.removal.get(w.name)?.get(1) : undefined;
  const h = ctx.ref.attrInt('hidden_size');
  if (r && h !== undefined) ctx.node.attributes.set('hidden_size', { type: 'int', value: h - r.removed.size });
};

/** The rewrite of each kind. */
export const REWRITES: Readonly<Record<RewriteKind, Rewrite>> = { reshape, slice, split, expand, convGroup, resize, hiddenSize };

/** Runs the rewrite of a node when any of its tensors lost positions. */
export function runRewrite(kind: RewriteKind, ctx: RewriteContext): void {
  if (changed(ctx)) REWRITES[kind](ctx);
}
