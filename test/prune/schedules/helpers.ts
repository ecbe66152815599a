/** MNIST subsets and mask checks shared by the schedule tests. */
import { loadMnist, take, type Dataset } from '../../../src/data/index.js';
import type { Model } from '../../../src/ir/graph.js';

let cache: Promise<{ trainSet: Dataset; testSet: Dataset }> | undefined;

/** 2,000 training and 500 test images, standardized. */
export function mnistSubsets(): Promise<{ trainSet: Dataset; testSet: Dataset }> {
  cache ??= (async () => ({
    trainSet: take(await loadMnist({ split: 'train', normalize: 'standard' }), 2000),
    testSet: take(await loadMnist({ split: 'test', normalize: 'standard' }), 500),
  }))();
  return cache;
}

export function weight(model: Model, name: string): Float32Array {
  return model.graph.requireValue(name).constant!.toFloat32();
}

/** Elements where the mask prunes but the weight is not exactly +0/-0. */
export function nonZeroPruned(w: Float32Array, mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0 && w[i] !== 0) n++;
  return n;
}

export function zeros(w: Float32Array): number {
  let n = 0;
  for (const v of w) if (v === 0) n++;
  return n;
}

export const LENET_LAYERS = ['fc1/weight', 'fc2/weight', 'fc3/weight'];
