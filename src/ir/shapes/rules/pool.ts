/** Shape rules for pooling: MaxPool (with Indices), AveragePool, LpPool (ceil_mode, auto_pad) and the global pools. */
import type { Dim } from '../../graph.js';
import type { ShapeContext, ShapeRule } from '../types.js';
import { readWindow, windowOut } from '../window.js';

/** MaxPool / AveragePool / LpPool: `[N, C, out...]`; MaxPool's Indices output is int64 of the same shape. */
export const pool: ShapeRule = (ctx: ShapeContext) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (!x || x.length < 3) return [{ dtype }, { dtype: 'int64' }];
  const spatial = x.length - 2;
  const win = readWindow(ctx, spatial, undefined);
  if (!win) ctx.fail(`attribute 'kernel_shape' with ${spatial} entries is required.`);
  const out: Dim[] = [x[0]!, x[1]!];
  for (let i = 0; i < spatial; i++) out.push(windowOut(x[i + 2]!, win, i));
  return [{ dtype, shape: out }, { dtype: 'int64', shape: out }];
};

/** GlobalAveragePool / GlobalMaxPool / GlobalLpPool: spatial dims become 1. */
export const globalPool: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  return [{ dtype: ctx.dtype(0), shape: x ? x.map((d, i) => (i < 2 ? d : 1)) : undefined }];
};
