import type { Dataset } from '../../src/data/types.js';
import { GraphBuilder, torchDefaultInit } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/graph.js';
import { Rng } from '../../src/util/rng.js';

/**
 * Two or more Gaussian blobs in `dim` dimensions, well apart (centres at ±3 on successive axes): linearly separable
 * with a wide margin.
 */
export function blobs(count: number, opts: { seed?: number; classes?: number; dim?: number; split?: string } = {}): Dataset {
  const classes = opts.classes ?? 3;
  const dim = opts.dim ?? 4;
  const rng = new Rng(opts.seed ?? 0);
  const x = new Float32Array(count * dim);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % classes;
    y[i] = c;
    for (let d = 0; d < dim; d++) x[i * dim + d] = 0.5 * rng.normal() + (d === c % dim ? (c < dim ? 3 : -3) : 0);
  }
  return { name: 'blobs', split: opts.split ?? 'train', x, y, count, sampleShape: [dim], numClasses: classes };
}

/** x [N, dim] → Gemm(hidden) → Relu → Gemm(classes) → 'logits', PyTorch's default init from `seed`. */
export function mlp(opts: { dim?: number; hidden?: number; classes?: number; seed?: number; batch?: number | string } = {}): Model {
  const dim = opts.dim ?? 4;
  const hidden = opts.hidden ?? 16;
  const classes = opts.classes ?? 3;
  const rng = new Rng(opts.seed ?? 0);
  const b = new GraphBuilder('mlp');
  const x = b.input('x', 'float32', [opts.batch ?? 'N', dim]);
  const fc = (name: string, v: typeof x, inF: number, outF: number) => b.scope(name, () => {
    const { weight, bias } = torchDefaultInit(rng, [outF, inF]);
    return b.op('Gemm', [v, b.initializer('weight', weight), b.initializer('bias', bias)], { transB: 1 });
  });
  const h = b.op('Relu', [fc('fc1', x, dim, hidden)]);
  b.output(fc('fc2', h, hidden, classes), { name: 'logits', dtype: 'float32', shape: [opts.batch ?? 'N', classes] });
  return b.model(17);
}

/** Bit equality of two float arrays (NaN payloads and signed zeros included). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** x [N, dim] → Gemm(hidden) → BatchNormalization (ONNX momentum 0.9, running mean 0 / var 1) → Relu → Gemm → 'logits'. */
export function mlpWithBatchNorm(opts: { dim?: number; hidden?: number; classes?: number; seed?: number } = {}): Model {
  const dim = opts.dim ?? 4;
  const hidden = opts.hidden ?? 8;
  const classes = opts.classes ?? 3;
  const rng = new Rng(opts.seed ?? 0);
  const b = new GraphBuilder('mlp_bn');
  const x = b.input('x', 'float32', ['N', dim]);
  const fc = (name: string, v: typeof x, inF: number, outF: number) => b.scope(name, () => {
    const { weight, bias } = torchDefaultInit(rng, [outF, inF]);
    return b.op('Gemm', [v, b.initializer('weight', weight), b.initializer('bias', bias)], { transB: 1 });
  });
  const h = fc('fc1', x, dim, hidden);
  const bn = b.scope('bn', () => b.op('BatchNormalization', [
    h, b.constF32('scale', [hidden], new Float32Array(hidden).fill(1)), b.constF32('B', [hidden], new Float32Array(hidden)),
    b.constF32('mean', [hidden], new Float32Array(hidden)), b.constF32('var', [hidden], new Float32Array(hidden).fill(1)),
  ], { epsilon: 1e-5, momentum: 0.9 }));
  b.output(fc('fc2', b.op('Relu', [bn]), hidden, classes), { name: 'logits', dtype: 'float32', shape: ['N', classes] });
  return b.model(17);
}
