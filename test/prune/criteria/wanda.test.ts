import { describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../../src/data/index.js';
import { findTargets, inputFeatureNorms, scoreTargets, wandaScores, type PruneTarget } from '../../../src/prune/index.js';
import { captureActivations } from '../../../src/runtime/index.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { Rng } from '../../../src/util/rng.js';
import { lstmModel, mixedModel, seq } from '../helpers.js';

const gemm = (shape: number[], transB: boolean): PruneTarget => ({
  name: 'w', node: 'n', opType: 'Gemm', nodes: ['n'], uses: [], shape, size: shape[0]! * shape[1]!, dtype: 'float32',
  inputAxis: transB ? 1 : 0, outputAxis: transB ? 0 : 1, kernelAxes: [], groups: 1, storage: 'initializer',
});

describe('wandaScores', () => {
  it('multiplies |W_ij| by the norm of input feature j, for either Gemm layout', () => {
    const w = Float32Array.from([1, -1, 2, 0, 3, -4]);
    expect([...wandaScores(w, gemm([2, 3], true), Float32Array.from([1, 10, 0.5]))]).toEqual([1, 10, 1, 0, 30, 2]);
    // [in=3, out=2]: element (i, o) at i·2 + o
    expect([...wandaScores(w, gemm([3, 2], false), Float32Array.from([1, 10, 0.5]))]).toEqual([1, 1, 20, 0, 1.5, 2]);
  });

  it('maps a grouped Conv element to the input channel of its group', () => {
    const [conv] = findTargets(mixedModel());
    const norms = Float32Array.from([1, 100]);
    const s = wandaScores(new Float32Array(36).fill(1), conv!, norms);
    // 4 outputs, 2 groups: outputs 0-1 read channel 0, outputs 2-3 read channel 1
    expect([s[0], s[9], s[18], s[27]]).toEqual([1, 1, 100, 100]);
    expect(() => wandaScores(new Float32Array(36), conv!, new Float32Array(3))).toThrow(/3 input norms given, expected 2/);
  });
});

/** ‖X_j‖ computed directly from every captured activation, feature axis `axis`. */
async function directNorms(model: ReturnType<typeof buildZooModel>, ds: Parameters<typeof captureActivations>[1], value: string, axis: number): Promise<Float64Array> {
  let acc: Float64Array | undefined;
  await captureActivations(model, ds, [value], {
    onBatch: (_n, data, dims) => {
      const a = axis < 0 ? dims.length + axis : axis;
      acc ??= new Float64Array(dims[a]!);
      const idx = new Array<number>(dims.length).fill(0);
      for (let i = 0; i < data.length; i++) {
        let rest = i;
        for (let d = dims.length - 1; d >= 0; d--) { idx[d] = rest % dims[d]!; rest = Math.floor(rest / dims[d]!); }
        acc[idx[a]!]! += data[i]! ** 2;
      }
    },
  });
  return acc!.map(Math.sqrt);
}

describe('inputFeatureNorms', () => {
  it('matches norms computed directly from captured activations (Conv: channel axis, Gemm: last axis)', async () => {
    const model = buildZooModel('lenet5', { seed: 2 });
    const ds = take(await loadMnist({ split: 'test' }), 64);
    const norms = await inputFeatureNorms(model, ds, findTargets(model), { batchSize: 16 });
    const cases: [string, string, number][] = [['conv1/weight', 'input', 1], ['conv2/weight', 'conv1/MaxPool', 1], ['fc1/weight', 'Flatten', 1], ['fc2/weight', 'fc1/Relu', -1]];
    for (const [target, value, axis] of cases) {
      const want = await directNorms(model, ds, value, axis);
      const got = norms.get(target)!;
      expect(got.length).toBe(want.length);
      for (let j = 0; j < want.length; j++) expect(got[j]).toBeCloseTo(want[j]!, 3);
    }
  });

  it('sums both readers of a shared weight, and reads a constant-A MatMul input on axis −2', async () => {
    const model = mixedModel();
    const rng = new Rng(1);
    const ds = { name: 'r', split: 'test', count: 10, sampleShape: [2, 6, 6], numClasses: 2, x: seq(720, () => rng.normal()), y: new Int32Array(10) };
    const targets = findTargets(model);
    const norms = await inputFeatureNorms(model, ds, targets, { batches: 1, batchSize: 10 });
    const [a, b] = [await directNorms(model, ds, 'gemm', -1), await directNorms(model, ds, 'mm1', -1)];
    const shared = norms.get('C_shared')!;
    for (let j = 0; j < 8; j++) expect(shared[j]).toBeCloseTo(Math.hypot(a[j]!, b[j]!), 3);
    const left = await directNorms(model, ds, 'Transpose', -2);
    norms.get('A_left')!.forEach((v, j) => expect(v).toBeCloseTo(left[j]!, 3));
  });

  it('checks the dataset and the layers before running anything', async () => {
    const ds = take(await loadMnist({ split: 'test' }), 4);
    await expect(inputFeatureNorms(lstmModel(), ds, findTargets(lstmModel()))).rejects.toThrow(
      /2 problems:[\s\S]*dataset samples are \[1,28,28\][\s\S]*layer 'R' \(LSTM 'lstm'\) has no activation input/);
  });

  it('feeds wanda through scoreTargets with a calibration dataset', async () => {
    const model = buildZooModel('lenet-300-100');
    const ds = take(await loadMnist({ split: 'test' }), 32);
    const scores = await scoreTargets(model, findTargets(model), { criterion: 'wanda', dataset: ds, calibration: { batches: 1, batchSize: 32 } });
    expect(scores.get('fc1/weight')!.length).toBe(235200);
    // all-zero border pixels of MNIST have zero norm, so their weights score 0
    expect(scores.get('fc1/weight')![0]).toBe(0);
  });
});
