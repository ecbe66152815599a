import { beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/ir/graph.js';
import { applyMasks, planPruning } from '../../src/prune/index.js';
import { quantizeModel } from '../../src/quantize/index.js';
import { createSession, exposeValues, fillerFeeds } from '../../src/runtime/index.js';
import { Rng } from '../../src/util/rng.js';
import { lenet5, mnistCalibration } from './helpers.js';

const LAYERS = ['conv1/weight', 'conv2/weight', 'fc1/weight', 'fc2/weight'];
let pruned: Model;
/** Pruned positions of each weight, as a 0/1 mask in the weight's own layout. */
const zeros = new Map<string, Uint8Array>();

beforeAll(async () => {
  const model = await lenet5();
  pruned = applyMasks(model, await planPruning(model, { criterion: 'magnitude', scope: { kind: 'global', sparsity: 0.9 } }));
  for (const name of LAYERS) zeros.set(name, Uint8Array.from(pruned.graph.requireValue(name).constant!.toFloat32(), (v) => (v === 0 ? 1 : 0)));
});

/** Runs the model with the dequantized weights exposed and returns them as onnxruntime computes them. */
async function dequantizedByOrt(model: Model, names: readonly string[]): Promise<Map<string, Float32Array>> {
  const exposed = exposeValues(model, names);
  const s = await createSession(exposed, { optimization: 'disabled' });
  try {
    const out = await s.run(fillerFeeds(exposed, new Rng(0)), names);
    return new Map(names.map((n) => [n, out[n]!.data as Float32Array]));
  } finally {
    await s.release();
  }
}

function expectZerosKept(name: string, values: ArrayLike<number>, zero: number, layout: (i: number) => number = (i) => i): void {
  const mask = zeros.get(name)!;
  let pruned = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    pruned++;
    if (values[layout(i)] !== zero) throw new Error(`${name}: pruned element ${i} quantized to ${values[layout(i)]}, not ${zero}`);
  }
  expect(pruned).toBeGreaterThan(0.3 * mask.length);
}

describe('zeros from pruning stay exactly zero', () => {
  it('static QDQ: int8 values are 0 and onnxruntime dequantizes them to exactly 0', async () => {
    const r = await quantizeModel(pruned, { mode: 'static', calibration: { data: await mnistCalibration(64) } });
    const g = r.model.graph;
    for (const name of LAYERS) expectZerosKept(name, g.requireValue(`${name}_quantized`).constant!.toNumbers(), 0);
    const dq = await dequantizedByOrt(r.model, LAYERS.map((n) => `${n}_dequantized`));
    for (const name of LAYERS) expectZerosKept(name, dq.get(`${name}_dequantized`)!, 0);
  });

  it('static with uint8 weights: pruned weights sit at the zero point 128', async () => {
    const r = await quantizeModel(pruned, { mode: 'static', weightType: 'uint8', calibration: { data: await mnistCalibration(64) } });
    for (const name of LAYERS) expectZerosKept(name, r.model.graph.requireValue(`${name}_quantized`).constant!.toNumbers(), 128);
    const dq = await dequantizedByOrt(r.model, LAYERS.map((n) => `${n}_dequantized`));
    for (const name of LAYERS) expectZerosKept(name, dq.get(`${name}_dequantized`)!, 0);
  });

  it('dynamic: integer weights equal their zero point (uint8 128 for Conv, int8 0 for Gemm stored [in, out])', async () => {
    const r = await quantizeModel(pruned, { mode: 'dynamic' });
    const g = r.model.graph;
    for (const name of ['conv1/weight', 'conv2/weight']) expectZerosKept(name, g.requireValue(`${name}_quantized`).constant!.toNumbers(), 128);
    for (const [name, [out, inF]] of [['fc1/weight', [500, 800]], ['fc2/weight', [10, 500]]] as const) {
      const transposed = (i: number): number => (i % inF) * out + Math.floor(i / inF);
      expectZerosKept(name, g.requireValue(`${name}_quantized`).constant!.toNumbers(), 0, transposed);
    }
  });

  it('weight-only: int8 DequantizeLinear gives exact zeros; int4 MatMulNBits stores the zero point 8', async () => {
    const r8 = await quantizeModel(pruned, { mode: 'weight-only', opTypes: ['Conv', 'Gemm'] });
    const dq = await dequantizedByOrt(r8.model, LAYERS.map((n) => `${n}_dequantized`));
    for (const name of LAYERS) expectZerosKept(name, dq.get(`${name}_dequantized`)!, 0);
    const r4 = await quantizeModel(pruned, { mode: 'weight-only', bits: 4 });
    for (const [name, out, inF] of [['fc1/weight', 500, 800], ['fc2/weight', 10, 500]] as const) {
      const packed = r4.model.graph.requireValue(`${name}_quantized`).constant!;
      const [, blocks, blob] = packed.dims as [number, number, number];
      const bytes = packed.bytes();
      const nibble = (i: number): number => {
        const row = Math.floor(i / inF);
        const at = row * blocks * blob * 2 + (i % inF);
        return (bytes[at >> 1]! >> ((at & 1) * 4)) & 0x0f;
      };
      expectZerosKept(name, Array.from({ length: out * inF }, (_, i) => nibble(i)), 8);
    }
  });
});
