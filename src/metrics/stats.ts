import { cloneModel } from '../ir/clone.js';
import type { Model, Node } from '../ir/graph.js';
import { encodeModel } from '../onnx/index.js';
import { findMacRule } from './macs/registry.js';
import { findParameters, type ParamTensor } from './params.js';
import { resolveShapes, type DimsOf } from './shapes.js';
import { fileSizes } from './size.js';
import type { LayerStats, ModelStats, ModelStatsOptions } from './types.js';

/**
 * Parameter, sparsity, size and compute statistics of a model.
 *
 * Conventions: parameters are counted as `findParameters` says (weights and biases, each shared tensor once,
 * BatchNorm running statistics apart as `buffers`). MACs are the multiply-accumulates of the linear ops only
 * (Conv, ConvTranspose, Gemm, MatMul, including activation×activation products such as attention), without bias
 * additions; normalization, activations, pooling and elementwise ops count 0; `flops` = 2 · `macs`. This is the
 * Torch-Pruning / thop / fvcore convention, so torchvision's ResNet-18 at 224×224 comes to 1.814 G MACs. With the
 * default batch of 1 the numbers are per sample. `nonzeroMacs` scales each layer by its weight's density, for
 * ShrinkBench's theoretical speedup (`macs / nonzeroMacs`). The model itself is not modified.
 *
 * @example
 * ```ts
 * const s = await modelStats(buildZooModel('lenet5'), { shapes: 'static' });
 * s.params;   // 431_080
 * s.macs;     // 2_293_000
 * ```
 */
export async function modelStats(model: Model, opts: ModelStatsOptions = {}): Promise<ModelStats> {
  const work = cloneModel(model);
  const dims = await resolveShapes(model, work, opts);
  const params = findParameters(work.graph);
  const owned = new Map<Node, ParamTensor[]>();
  for (const p of params) if (p.kind === 'param') owned.set(p.owner, [...(owned.get(p.owner) ?? []), p]);
  const unsupported: string[] = [];
  const unknownShapes: string[] = [];
  const layers: LayerStats[] = [];
  for (const node of work.graph.nodes) {
    const macs = nodeMacs(work, node, dims, unsupported, unknownShapes);
    const own = owned.get(node) ?? [];
    if (macs > 0 || own.length > 0) layers.push(layerStats(node, own, macs, dims));
  }
  const real = params.filter((p) => p.kind === 'param');
  const total = sum(real.map((p) => p.tensor.size));
  const nonzero = sum(real.map((p) => p.nonzero));
  const macs = sum(layers.map((l) => l.macs));
  const nonzeroMacs = sum(layers.map((l) => l.nonzeroMacs));
  return {
    params: total,
    nonzeroParams: nonzero,
    paramBytes: sum(real.map((p) => p.tensor.byteLength)),
    buffers: sum(params.filter((p) => p.kind === 'buffer').map((p) => p.tensor.size)),
    layers,
    macs,
    flops: 2 * macs,
    nonzeroMacs,
    compressionRatio: total / nonzero,
    theoreticalSpeedup: macs / nonzeroMacs,
    unsupported,
    unknownShapes,
    ...(opts.fileSize ? { bySize: fileSizes(encodeModel(model)) } : {}),
  };
}

function nodeMacs(model: Model, node: Node, dims: DimsOf, unsupported: string[], unknownShapes: string[]): number {
  const rule = findMacRule(node.domain, node.opType, model.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain));
  if (!rule) {
    unsupported.push(`${node.name} (${node.opType})`);
    return 0;
  }
  const at = (v: ReturnType<Node['input']>): readonly number[] | undefined => (v ? dims(v) : undefined);
  const macs = rule({ node, input: (i) => at(node.input(i)), output: (i) => at(node.output(i)) });
  if (macs === undefined) unknownShapes.push(`${node.name} (${node.opType})`);
  return macs ?? 0;
}

function layerStats(node: Node, own: readonly ParamTensor[], macs: number, dims: DimsOf): LayerStats {
  const weight = own.reduce<ParamTensor | undefined>((best, p) => (!best || p.tensor.size > best.tensor.size ? p : best), undefined);
  const params = sum(own.map((p) => p.tensor.size));
  const nonzero = sum(own.map((p) => p.nonzero));
  const density = weight && weight.tensor.size > 0 ? weight.nonzero / weight.tensor.size : 1;
  const out = node.output(0);
  return {
    node: node.name,
    opType: node.opType,
    weight: weight?.name,
    params,
    nonzero,
    sparsity: params > 0 ? 1 - nonzero / params : 0,
    macs,
    nonzeroMacs: macs * density,
    outputShape: out ? dims(out) : undefined,
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
