import type { Dim } from '../graph.js';
import { divDims, mulDims } from './symbolic.js';
import type { ShapeContext } from './types.js';

/** True when every dim is a known number. */
export function allNumbers(dims: readonly Dim[]): dims is readonly number[] {
  return dims.every((d) => typeof d === 'number');
}

/** Product of dims: a number, a symbolic monomial such as `16*N` (see symbolic.ts), or null if a dim is unknown. */
export function product(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((acc, d) => mulDims(acc, d), 1);
}

/**
 * Two dims that must be equal (MatMul's K, Concat's other axes): the more specific of the two, or `conflict` when
 * both are numbers that differ.
 */
export function unify(a: Dim, b: Dim): Dim | 'conflict' {
  if (a === b) return a;
  if (typeof a === 'number' && typeof b === 'number') return 'conflict';
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return a ?? b;
}

/** One broadcast dim (numpy rules); `conflict` for two numbers that are neither equal nor 1. */
export function broadcastDim(a: Dim, b: Dim): Dim | 'conflict' {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === 'number' && typeof b === 'number') return 'conflict';
  // A number > 1 against a symbol: the symbol must be 1 or equal, so the result is the number.
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return null;
}

/** Numpy broadcast of several shapes; fails on incompatible numeric dims. */
export function broadcastShapes(ctx: ShapeContext, shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = i - (rank - s.length);
      if (k < 0) continue;
      const b = broadcastDim(d, s[k]!);
      if (b === 'conflict') {
        ctx.fail(`cannot broadcast shapes ${shapes.map(fmtShape).join(' and ')} (dim ${i}: ${String(d)} vs ${String(s[k])}).`);
      }
      d = b;
    }
    out.push(d);
  }
  return out;
}

/** Normalizes a possibly negative axis into [0, rank), failing with the valid interval. */
export function normAxis(ctx: ShapeContext, axis: number, rank: number): number {
  if (axis < -rank || axis >= rank) ctx.fail(`axis ${axis} is out of range [${-rank}, ${rank - 1}] for rank ${rank}.`);
  return axis < 0 ? axis + rank : axis;
}

/** `[2, 'N', ?]` */
export function fmtShape(s: readonly Dim[]): string {
  return `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** Dim-wise arithmetic: numbers exactly, symbols through monomials (`N*4`, `16*N / 4`) and x+0, x-0; else null. */
export function dimArith(op: 'add' | 'sub' | 'mul' | 'div', a: Dim, b: Dim, integral: boolean): Dim {
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case 'add': return a + b;
      case 'sub': return a - b;
      case 'mul': return a * b;
      case 'div': return integral ? (b === 0 ? null : Math.trunc(a / b)) : a / b;
    }
  }
  switch (op) {
    case 'mul': return mulDims(a, b);
    case 'div': return divDims(a, b);
    case 'add': return b === 0 ? a : a === 0 ? b : null;
    case 'sub': return b === 0 ? a : null;
  }
}
