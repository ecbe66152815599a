/**
 * 2-D views of N-D weights, without copying: element (r, c) of a view is `rowOffset[r] + colOffset[c]` in the flat
 * weight. Rows enumerate the axes not in `colAxes`, columns enumerate `colAxes`, both in C order.
 */
import type { PruneTarget } from './targets.js';

/** A `rows` × `cols` view of a flat weight. */
export interface MatrixView {
  readonly rows: number;
  readonly cols: number;
  /** Flat offset of each row's first element. */
  readonly rowOffset: Int32Array;
  /** Flat offset of each column within a row. */
  readonly colOffset: Int32Array;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Flat offsets of every multi-index over `axes` (C order over those axes). */
function offsets(shape: readonly number[], axes: readonly number[]): Int32Array {
  const st = strides(shape);
  let out = Int32Array.of(0);
  for (const a of axes) {
    const n = shape[a]!;
    const next = new Int32Array(out.length * n);
    for (let i = 0; i < out.length; i++) for (let j = 0; j < n; j++) next[i * n + j] = out[i]! + j * st[a]!;
    out = next;
  }
  return out;
}

/**
 * A view whose columns are `colAxes` and rows all other axes.
 *
 * @example
 * ```ts
 * const v = matrixView([3, 2], [0]);   // a [in=3, out=2] weight seen as [out, in]
 * [v.rows, v.cols, v.rowOffset[1]! + v.colOffset[2]!];   // [2, 3, 5]
 * ```
 */
export function matrixView(shape: readonly number[], colAxes: readonly number[]): MatrixView {
  for (const a of colAxes) if (!(a >= 0 && a < shape.length)) throw new RangeError(`axis ${a} is out of range [0, ${shape.length}).`);
  const rowAxes = shape.map((_, i) => i).filter((i) => !colAxes.includes(i));
  const rowOffset = offsets(shape, rowAxes);
  const colOffset = offsets(shape, colAxes);
  return { rows: rowOffset.length, cols: colOffset.length, rowOffset, colOffset };
}

/**
 * The [out, in·k…] view: one row per output feature/channel (per direction for recurrent weights), columns over the
 * input axis and kernel axes. A Conv weight [out, in, kh, kw] is its natural C order; a Gemm transB=0 weight
 * [in, out] is transposed. Block masks and Wanda's per-row comparison use it.
 */
export function rowView(t: Pick<PruneTarget, 'shape' | 'inputAxis' | 'kernelAxes'>): MatrixView {
  return matrixView(t.shape, [t.inputAxis, ...t.kernelAxes].sort((a, b) => a - b));
}

/**
 * The [everything else, in] view: columns are the input axis alone, so a row is one output's weights along
 * consecutive input features for one kernel position. N:M masks group along it.
 */
export function inputView(t: Pick<PruneTarget, 'shape' | 'inputAxis'>): MatrixView {
  return matrixView(t.shape, [t.inputAxis]);
}
