/**
 * Symbolic dims under multiplication. A symbolic dim is a name ('N'); multiplying and dividing names and integers
 * gives monomials, written canonically as `4*N` or `N*T` (integer first, names sorted), so that `Reshape` targets
 * computed as `Gather(Shape(x)) * heads` keep a name instead of becoming unknown. Sums stay unknown (null).
 */
import type { Dim } from '../graph.js';

/** `coeff · syms[0] · syms[1] …`, names sorted. */
export interface Monomial {
  readonly coeff: number;
  readonly syms: readonly string[];
}

/** Reads a dim as a monomial (a name containing `*` is read as a product); undefined for an unknown dim. */
export function toMonomial(d: Dim): Monomial | undefined {
  if (d === null) return undefined;
  if (typeof d === 'number') return { coeff: d, syms: [] };
  const parts = d.split('*');
  if (parts.some((p) => p.trim() === '')) return { coeff: 1, syms: [d] };
  let coeff = 1;
  const syms: string[] = [];
  for (const p of parts) {
    const t = p.trim();
    if (/^-?\d+$/.test(t)) coeff *= Number(t);
    else syms.push(t);
  }
  return { coeff, syms: syms.sort() };
}

/** The canonical dim of a monomial: a number when it has no names. */
export function fromMonomial(m: Monomial): Dim {
  if (m.syms.length === 0 || m.coeff === 0) return m.coeff;
  const names = [...m.syms].sort().join('*');
  return m.coeff === 1 ? names : `${m.coeff}*${names}`;
}

/** a · b, symbolically. */
export function mulDims(a: Dim, b: Dim): Dim {
  if (a === 0 || b === 0) return 0;
  const x = toMonomial(a);
  const y = toMonomial(b);
  if (!x || !y) return null;
  return fromMonomial({ coeff: x.coeff * y.coeff, syms: [...x.syms, ...y.syms] });
}

/** a / b when it divides exactly (the coefficient divides and b's names all occur in a), else null. */
export function divDims(a: Dim, b: Dim): Dim {
  const x = toMonomial(a);
  const y = toMonomial(b);
  if (!x || !y || y.coeff === 0 || x.coeff % y.coeff !== 0) return null;
  const rest = [...x.syms];
  for (const s of y.syms) {
    const k = rest.indexOf(s);
    if (k < 0) return null;
    rest.splice(k, 1);
  }
  return fromMonomial({ coeff: x.coeff / y.coeff, syms: rest });
}
