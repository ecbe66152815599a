/**
 * Structure-only fixtures (fixtures/torchvision/, written by scripts/fixtures/export_torchvision.py) keep the
 * graph and drop the weights: every float initializer became a graph input of static shape whose doc_string is
 * {@link STRIPPED_DOC}. {@link restoreStrippedWeights} turns those inputs back into initializers with seeded values
 * of a sane scale, chosen from how each tensor is used, so the model runs with finite, non-degenerate activations.
 */
import type { Model, Node, Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Rng } from '../../src/util/rng.js';

/** The doc_string of a stripped weight (the export script writes it). */
export const STRIPPED_DOC = 'secateurs:stripped-weight';

/**
 * How a stripped tensor is filled. `fanIn`: uniform with the He-normal standard deviation sqrt(2 / fan_in)
 * (uniform rather than normal because it is cheap for 100M-element weights, as PyTorch's own kaiming_uniform);
 * `around`: center ± spread, uniform; `normal`: N(0, std²).
 */
export type Fill =
  | { readonly kind: 'fanIn'; readonly fanIn: number; readonly gain: number }
  | { readonly kind: 'around'; readonly center: number; readonly spread: number }
  | { readonly kind: 'normal'; readonly std: number };

const BIAS: Fill = { kind: 'around', center: 0, spread: 0.1 };
const GAIN: Fill = { kind: 'around', center: 1, spread: 0.25 };

function fanIn(dims: readonly number[], axes: readonly number[]): number {
  return axes.reduce((n, a) => n * (dims[a < 0 ? a + dims.length : a] ?? 1), 1);
}

/** BatchNormalization inputs 1..4: gamma near 1, beta and running mean near 0, running variance in [0.5, 1.5]. */
const BN_FILL: readonly Fill[] = [GAIN, BIAS, BIAS, { kind: 'around', center: 1, spread: 0.5 }];

/** The fill of a weight from its first use (node and input slot); undefined when no row knows the use. */
export function fillFor(node: Node, index: number, dims: readonly number[]): Fill | undefined {
  const he = (axes: readonly number[], gain = 2): Fill => ({ kind: 'fanIn', fanIn: fanIn(dims, axes), gain });
  switch (node.opType) {
    case 'Conv': return index === 1 ? he(dims.slice(1).map((_, i) => i + 1)) : BIAS;
    case 'Gemm': return index === 1 ? he([node.attrInt('transB', 0) === 1 ? 1 : 0]) : index === 0 ? he([-1]) : BIAS;
    case 'MatMul': return index === 1 ? he([-2]) : he([-1]);
    case 'BatchNormalization': return BN_FILL[index - 1];
    case 'LayerNormalization': return index === 1 ? GAIN : BIAS;
    // A decomposed LayerNorm's gamma is a Mul by a weight; biases and position embeddings are Adds.
    case 'Mul': return GAIN;
    case 'Add': return BIAS;
    // Embedding tables and the ViT class token.
    case 'Gather': case 'Expand': return index === 0 ? { kind: 'normal', std: 1 } : undefined;
    default: return undefined;
  }
}

function fill(rng: Rng, n: number, f: Fill): Float32Array {
  const out = new Float32Array(n);
  if (f.kind === 'normal') {
    for (let i = 0; i < n; i++) out[i] = f.std * rng.normal();
    return out;
  }
  const [center, spread] = f.kind === 'fanIn' ? [0, Math.sqrt((3 * f.gain) / f.fanIn)] : [f.center, f.spread];
  // mulberry32 inlined, seeded from the stream: a method call per element costs seconds on vgg11_bn's 100M weights.
  let a = rng.nextU32() | 0;
  const scale = (2 * spread) / 4294967296;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = center - spread + scale * ((t ^ (t >>> 14)) >>> 0);
  }
  return out;
}

/** The stripped weights of a model (graph inputs marked by the export script). */
export function strippedWeights(model: Model): Value[] {
  return model.graph.inputs.filter((v) => v.docString === STRIPPED_DOC);
}

/**
 * Turns every stripped weight of `model` (in place) into an initializer with seeded values; returns the model.
 * Each tensor gets its own stream (seed + its index), so values do not depend on the order of the others.
 *
 * @throws Error naming the tensor when its use is not in the table of {@link fillFor}, or its shape is not static.
 * @example
 * ```ts
 * const model = restoreStrippedWeights(await loadModel('fixtures/torchvision/vgg11_bn.onnx'));
 * ```
 */
export function restoreStrippedWeights(model: Model, seed = 1): Model {
  const g = model.graph;
  const problems: string[] = [];
  strippedWeights(model).forEach((v, k) => {
    const dims = v.shape;
    const use = v.uses[0];
    if (!dims || !dims.every((d): d is number => typeof d === 'number')) { problems.push(`'${v.name}': shape is not static`); return; }
    const f = use ? fillFor(use.node, use.index, dims) : BIAS;
    if (!f) { problems.push(`'${v.name}': no fill for input ${use!.index} of ${use!.node.opType} '${use!.node.name}'`); return; }
    if (v.dtype !== 'float32') { problems.push(`'${v.name}': ${String(v.dtype)}, only float32 is restored`); return; }
    v.constant = Tensor.fromTyped('float32', dims, fill(new Rng(seed * 100_003 + k), dims.reduce((a, b) => a * b, 1), f));
    v.docString = '';
    g.inputs.splice(g.inputs.indexOf(v), 1);
    g.initializers.push(v);
  });
  if (problems.length > 0) throw new Error(`cannot restore stripped weights:\n  ${problems.join('\n  ')}`);
  return model;
}
