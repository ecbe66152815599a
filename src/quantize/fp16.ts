/**
 * float16 conversion. Float initializers are stored as float16 (half the bytes); a node computes in float16 when
 * onnxruntime's CPU build has a float16 kernel for its op, and in float32 otherwise, with Cast nodes where the two
 * meet; graph inputs and outputs keep their float32 types (Casts at the boundary). A float16 node whose neighbours
 * all compute in float32 is moved back to float32: it would only add two Casts and lose precision.
 *
 * The kernel table was measured on onnxruntime-node 1.30 (x86-64 CPU): for each op, a float16 model was loaded and
 * the graph onnxruntime runs was read back; ops it wrapped in Casts to float32 (its InsertCastTransformer) have no
 * float16 kernel. On that build every arithmetic layer op (Conv, MatMul, Gemm, Add, Relu, pooling, Softmax...) is
 * among them, so on x86 CPUs a converted model stores float16 weights (cast to float32 once, at load) and computes
 * in float32; `fp16Ops` can name more ops for runtimes with float16 arithmetic.
 */
import type { DataType } from '../ir/dtype.js';
import type { Graph, Model, Node, Value } from '../ir/graph.js';
import { subgraphsOf, outerReads } from '../ir/passes.js';
import { inferShapes } from '../ir/shapes/index.js';
import { Tensor } from '../ir/tensor.js';
import { attr } from '../ir/builder.js';
import { addOp } from './edit.js';

/** ai.onnx ops with a float16 CPU kernel in onnxruntime 1.30 on x86-64 (measured; test/quantize/fp16.test.ts checks it). */
export const FP16_CPU_OPS: readonly string[] = [
  'Clip', 'Compress', 'Concat', 'Expand', 'Flatten', 'Gather', 'GatherElements', 'GatherND', 'Identity',
  'LayerNormalization', 'Max', 'Min', 'Mod', 'Reshape', 'Round', 'ScatterElements', 'ScatterND', 'Shrink', 'Sign',
  'Slice', 'Split', 'Squeeze', 'Transpose', 'Unsqueeze',
];

/** Ops that read a tensor of any element type (no Cast needed in front of them). */
const ANY_TYPE = new Set(['Cast', 'Shape', 'Size']);
/** Float inputs that stay float32 even when the node computes in float16 (the spec types them `tensor(float)`). */
const FIXED_INPUTS: Readonly<Record<string, readonly number[]>> = { Resize: [1, 2], Upsample: [1] };
/** Float outputs that stay float32 (LayerNormalization's Mean and InvStdDev follow stash_type). */
const FIXED_OUTPUTS: Readonly<Record<string, readonly number[]>> = { LayerNormalization: [1, 2] };
/** Largest finite float16. */
const HALF_MAX = 65504;

/** Options of {@link convertFp16}. */
export interface Fp16Settings {
  /** Op types that may compute in float16; default {@link FP16_CPU_OPS}. */
  readonly fp16Ops?: readonly string[];
  /** Op types kept in float32 regardless. */
  readonly keepFp32?: readonly string[];
  /** Nodes kept in float32 regardless (exclusions by name). */
  readonly keepNodes?: ReadonlySet<Node>;
  /** Float initializers with fewer elements stay float32 unless a float16 node reads them; default 16. */
  readonly minElements?: number;
}

/** What the conversion did. */
export interface Fp16Summary {
  readonly float16Nodes: number;
  /** Nodes computing in float32, by op type. */
  readonly float32Nodes: Record<string, number>;
  readonly initializers: number;
  /** Initializer values beyond ±65504, clamped. */
  readonly clamped: number;
}

/**
 * Converts `model` (in place; pass a copy) to float16 storage and, where kernels exist, float16 compute.
 *
 * @example
 * ```ts
 * const copy = cloneModel(model);
 * convertFp16(copy);   // weights now float16; inputs/outputs still float32
 * ```
 */
export function convertFp16(model: Model, s: Fp16Settings = {}): Fp16Summary {
  const g = model.graph;
  inferShapes(model);
  const half = choosePrecision(g, new Set(s.fp16Ops ?? FP16_CPU_OPS), new Set(s.keepFp32 ?? []), s.keepNodes ?? new Set());
  const { converted, clamped } = convertInitializers(g, half, s.minElements ?? 16);
  retypeOutputs(g, half);
  insertCasts(g, half);
  const float32Nodes: Record<string, number> = {};
  for (const n of g.nodes) {
    if (!half.has(n) && n.opType !== 'Cast' && hasFloat(n)) float32Nodes[n.opType] = (float32Nodes[n.opType] ?? 0) + 1;
  }
  return { float16Nodes: half.size, float32Nodes, initializers: converted, clamped };
}

const isF32 = (v: Value | null | undefined): v is Value => !!v && v.dtype === 'float32';
const hasFloat = (n: Node): boolean => n.inputs.some(isF32) || n.outputs.some(isF32) || n.outputs.some((v) => v?.dtype === 'float16');
/** Every input and output has a known element type (a float16 node must not read a value of unknown type). */
const typed = (n: Node): boolean => [...n.inputs, ...n.outputs].every((v) => !v || v.dtype !== undefined);

/** Nodes computing in float16: allowed ops, then islands (no float16 neighbour) demoted until none is left. */
function choosePrecision(g: Graph, allowed: Set<string>, keep: Set<string>, keepNodes: ReadonlySet<Node>): Set<Node> {
  const pinned = new Set(g.nodes.flatMap((n) => outerReads(n, g)).map((v) => v.producer).filter((p): p is Node => !!p));
  const half = new Set(g.nodes.filter((n) => (n.domain === '' || n.domain === 'ai.onnx') && allowed.has(n.opType) &&
    !keep.has(n.opType) && !keepNodes.has(n) && subgraphsOf(n).length === 0 && !pinned.has(n) && typed(n) && hasFloat(n)));
  for (let changed = true; changed;) {
    changed = false;
    for (const n of [...half]) {
      const fromHalf = n.inputs.some((v) => isF32(v) && v.producer !== undefined && half.has(v.producer));
      const toHalf = n.outputs.some((v) => isF32(v) && v.uses.some((u) => half.has(u.node)));
      if (!fromHalf && !toHalf) { half.delete(n); changed = true; }
    }
  }
  return half;
}

/** Float32 initializers become float16, except those read in fixed float32 slots, by subgraphs, or small ones read only in float32. */
function convertInitializers(g: Graph, half: Set<Node>, minElements: number): { converted: number; clamped: number } {
  const outer = new Set(g.nodes.flatMap((n) => outerReads(n, g)));
  let converted = 0;
  let clamped = 0;
  for (const v of g.initializers) {
    const t = v.constant;
    if (!t || t.dtype !== 'float32' || g.inputs.includes(v) || outer.has(v)) continue;
    if (v.uses.some((u) => FIXED_INPUTS[u.node.opType]?.includes(u.index))) continue;
    if (t.size < minElements && !v.uses.some((u) => half.has(u.node))) continue;
    const data = t.toFloat32();
    for (let i = 0; i < data.length; i++) {
      if (Math.abs(data[i]!) > HALF_MAX) { data[i] = Math.sign(data[i]!) * HALF_MAX; clamped++; }
    }
    v.constant = Tensor.fromArray('float16', t.dims, data);
    v.dtype = 'float16';
    converted++;
  }
  return { converted, clamped };
}

function retypeOutputs(g: Graph, half: Set<Node>): void {
  for (const n of half) {
    n.outputs.forEach((v, i) => { if (isF32(v) && !FIXED_OUTPUTS[n.opType]?.includes(i)) v.dtype = 'float16'; });
  }
}

/** The float type input `slot` of `node` must have, or undefined when any type does. */
function wanted(node: Node, slot: number, half: Set<Node>): DataType | undefined {
  if (ANY_TYPE.has(node.opType)) return undefined;
  if (!half.has(node)) return 'float32';
  return FIXED_INPUTS[node.opType]?.includes(slot) ? 'float32' : 'float16';
}

/** Casts between producers and consumers of different float types, one per value and type; float32 graph outputs. */
function insertCasts(g: Graph, half: Set<Node>): void {
  const casts = new Map<string, Value>();
  const cast = (v: Value, to: DataType): Value => {
    const key = `${v.name}->${to}`;
    let c = casts.get(key);
    if (!c) {
      c = addOp(g, 'Cast', [v], `${v.name}_to_${to}`, `${v.name}_${to}`, { to: attr.int(to === 'float16' ? 10 : 1) });
      c.dtype = to;
      if (v.shape) c.shape = [...v.shape];
      casts.set(key, c);
    }
    return c;
  };
  for (const n of [...g.nodes]) {
    n.inputs.forEach((v, i) => {
      if (!v || (v.dtype !== 'float16' && v.dtype !== 'float32')) return;
      const want = wanted(n, i, half);
      if (want && want !== v.dtype) n.setInput(i, cast(v, want));
    });
  }
  g.outputs.forEach((v, i) => {
    if (v.dtype !== 'float16') return;
    const name = v.name;
    g.renameValue(v, g.uniqueName(`${name}_float16`));
    const node = g.addNode('Cast', [v], { name: `${name}_to_float32`, outputs: [name], attributes: { to: attr.int(1) } });
    const out = node.output(0)!;
    out.dtype = 'float32';
    if (v.shape) out.shape = [...v.shape];
    g.outputs[i] = out;
  });
}
