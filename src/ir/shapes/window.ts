import type { Dim } from '../graph.js';
import type { ShapeContext } from './types.js';

/** The sliding-window attributes shared by Conv, ConvTranspose and the pools, with ONNX defaults filled in. */
export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** `[x1_begin, x2_begin, ..., x1_end, x2_end, ...]` */
  readonly pads: readonly number[];
  readonly autoPad: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  readonly ceilMode: boolean;
}

/** Reads the window attributes of a node with `spatial` spatial axes; `kernel` defaults to the weight's dims. */
export function readWindow(ctx: ShapeContext, spatial: number, kernel: readonly Dim[] | undefined): Window | undefined {
  const n = ctx.node;
  const k = n.attrInts('kernel_shape') ?? kernel;
  if (!k || k.length !== spatial || !k.every((d): d is number => typeof d === 'number')) return undefined;
  const ones = new Array<number>(spatial).fill(1);
  const autoPad = n.attrString('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER' && autoPad !== 'VALID') {
    ctx.fail(`auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID.`);
  }
  const w: Window = {
    kernel: k,
    strides: n.attrInts('strides') ?? ones,
    dilations: n.attrInts('dilations') ?? ones,
    pads: n.attrInts('pads') ?? new Array<number>(2 * spatial).fill(0),
    autoPad,
    ceilMode: n.attrInt('ceil_mode', 0) !== 0,
  };
  if (w.strides.length !== spatial || w.dilations.length !== spatial || w.pads.length !== 2 * spatial) {
    const got = `${w.strides.length}/${w.dilations.length}/${w.pads.length}`;
    ctx.fail(`strides/dilations/pads have ${got} entries; expected ${spatial}/${spatial}/${2 * spatial}.`);
  }
  return w;
}

/**
 * Output size of one spatial axis of a convolution or pool. `ceil_mode` follows PyTorch and onnxruntime: a last
 * window that would start inside the end padding is dropped.
 */
export function windowOut(inSize: Dim, w: Window, axis: number): Dim {
  if (typeof inSize !== 'number') return null;
  const s = w.strides[axis]!;
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(inSize / s);
  const span = (w.kernel[axis]! - 1) * w.dilations[axis]! + 1;
  const begin = w.autoPad === 'VALID' ? 0 : w.pads[axis]!;
  const end = w.autoPad === 'VALID' ? 0 : w.pads[axis + w.kernel.length]!;
  const room = inSize + begin + end - span;
  if (!w.ceilMode) return Math.floor(room / s) + 1;
  let out = Math.ceil(room / s) + 1;
  if ((out - 1) * s >= inSize + begin) out--;
  return out;
}
