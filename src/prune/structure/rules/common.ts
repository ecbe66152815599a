/**
 * Helpers the channel rules share: ports, results, axis normalization, pass-through and numpy broadcasting
 * (undone here once, not in every rule).
 * @module
 */
import type { Dim } from '../../../ir/graph.js';
import type { Arrival, ChannelMap, Link, MemberRole, Port, RewriteKind, RuleContext, RuleResult } from '../types.js';

/** Input slot `index`. */
export const IN = (index: number): Port => ({ side: 'in', index });
/** Output slot `index`. */
export const OUT = (index: number): Port => ({ side: 'out', index });

/** True when both name the same slot. */
export function samePort(a: Port, b: Port): boolean {
  return a.side === b.side && a.index === b.index;
}

/** A link to `port` on `axis` with `map`, with a param role when the port holds a constant. */
export function link(port: Port, axis: number, map: ChannelMap, param?: MemberRole): Link {
  return param ? { port, axis, map, param } : { port, axis, map };
}

/** A coupling answer. */
export function couple(links: readonly Link[], extra: { role?: 'source' | 'sink'; rewrite?: RewriteKind } = {}): RuleResult {
  return { kind: 'couple', links, ...extra };
}

/** A blocking answer. */
export function block(reason: string): RuleResult {
  return { kind: 'block', reason };
}

/** Rank of a port's tensor, when its shape is known. */
export function rankOf(ctx: RuleContext, p: Port): number | undefined {
  return ctx.shape(p)?.length;
}

/** A possibly negative axis attribute as an index in [0, rank). */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** The int attribute `name`, or the folded value of input `i`, or `fallback`. */
export function intsFrom(ctx: RuleContext, name: string, input: number): readonly number[] | undefined {
  return ctx.node.attrInts(name) ?? (ctx.has(IN(input)) ? ctx.known(IN(input)) : undefined);
}

/** Every present port among `ports` except the arrival, on the arrival's axis and map. */
export function passThrough(ctx: RuleContext, at: Arrival, ports: readonly Port[]): RuleResult {
  return couple(ports.filter((p) => ctx.has(p) && !samePort(p, at.port)).map((p) => link(p, at.axis, at.map)));
}

/** Pass-through between input 0 and every output, the usual unary op (Relu, Dropout with its mask, Cast). */
export function unary(ctx: RuleContext, at: Arrival): RuleResult {
  if (at.port.side === 'in' && at.port.index !== 0) return block(`input ${at.port.index} of ${ctx.node.opType} is not elementwise with its output`);
  const outs = ctx.node.outputs.map((_, i) => OUT(i));
  return passThrough(ctx, at, [IN(0), ...outs]);
}

function dimsEqual(a: Dim | undefined, b: Dim | undefined): boolean {
  return a !== undefined && a !== null && a === b;
}

/**
 * Numpy broadcasting between `operands` and `output`: the arrival axis, aligned from the right, is coupled on
 * every operand that has it with the full size, skipped on operands broadcast along it (size 1 or missing), and
 * blocks on anything else. A constant operand carrying the axis (a per-channel scale [1,C,1,1]) becomes a member.
 */
export function broadcast(ctx: RuleContext, at: Arrival, operands: readonly Port[], output: Port): RuleResult {
  const out = ctx.shape(output);
  if (!out) return block(`output shape of ${ctx.node.opType} unknown`);
  const R = out.length;
  const arrivalRank = rankOf(ctx, at.port);
  if (arrivalRank === undefined) return block(`shape of ${at.port.side}put ${at.port.index} unknown`);
  const outAxis = at.port.side === 'out' ? at.axis : at.axis + (R - arrivalRank);
  const links: Link[] = [];
  if (!samePort(output, at.port)) links.push(link(output, outAxis, at.map));
  for (const p of operands) {
    if (!ctx.has(p) || samePort(p, at.port)) continue;
    const s = ctx.shape(p);
    if (!s) return block(`shape of input ${p.index} unknown`);
    const a = outAxis - (R - s.length);
    if (a < 0 || s[a] === 1) continue;
    if (!dimsEqual(s[a], out[outAxis])) return block(`input ${p.index} has size ${String(s[a])} on the channel axis, output ${String(out[outAxis])}`);
    links.push(link(p, a, at.map));
  }
  return couple(links);
}

/** One slot of a coupling class: a port, an axis on it, and the role of the tensor when it is a constant. */
export type Slot = readonly [Port, number, MemberRole?];

/** A set of slots that carry the same channels with the same map, and what the node is to them. */
export interface CouplingClass {
  readonly slots: readonly Slot[];
  readonly role?: 'source' | 'sink';
}

/** Port and axis in words, for reasons. */
export function where(at: { port: Port; axis: number }): string {
  return `${at.port.side}put ${at.port.index} axis ${at.axis}`;
}

/**
 * Answers from a table of classes: the class holding the arrival's (port, axis) couples its other present slots
 * with the arrival's map; an arrival in no class blocks with `what` said about it.
 */
export function fromClasses(ctx: RuleContext, at: Arrival, classes: readonly CouplingClass[], what: string): RuleResult {
  const here = (p: Port, a: number): boolean => samePort(p, at.port) && a === at.axis;
  for (const k of classes) {
    if (!k.slots.some(([p, a]) => here(p, a))) continue;
    const links = k.slots.filter(([p, a]) => ctx.has(p) && !here(p, a)).map(([p, a, r]) => link(p, a, at.map, r));
    return couple(links, k.role ? { role: k.role } : {});
  }
  return block(`${ctx.node.opType} reached on ${where(at)}, ${what}`);
}
