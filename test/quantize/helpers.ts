/** Models, data and measures shared by the quantization tests. */
import { loadMnist, take, type Dataset } from '../../src/data/index.js';
import type { Model } from '../../src/ir/graph.js';
import { loadModel } from '../../src/onnx/index.js';
import { evaluate } from '../../src/runtime/index.js';
import { train } from '../../src/train/index.js';
import { buildZooModel } from '../../src/zoo/index.js';

/** The bundled trained LeNet-5 (99.22% on the MNIST test set). */
export async function lenet5(): Promise<Model> {
  return loadModel('models/lenet5-mnist.onnx');
}

let trained300: Promise<Model> | undefined;

/**
 * LeNet-300-100 trained for one epoch on the first 20,000 MNIST training images (Adam, seeded; about 2 s): about
 * 89% on the first 2,000 test images, enough for quantization to have real weights and activations to get wrong.
 */
export function lenet300(): Promise<Model> {
  trained300 ??= (async () => {
    const data = take(await loadMnist({ split: 'train' }), 20_000);
    const r = await train(buildZooModel('lenet-300-100', { seed: 0 }), data, { epochs: 1, optimizer: 'adam', lr: 1e-3, seed: 0 });
    return r.model;
  })();
  return trained300;
}

export async function mnistTest(count: number): Promise<Dataset> {
  return take(await loadMnist({ split: 'test' }), count);
}

export async function mnistCalibration(count: number): Promise<Dataset> {
  return take(await loadMnist({ split: 'train' }), count);
}

/** Top-1 of both models and the relative RMSE of the quantized logits against the float ones, on `data`. */
export async function accuracyAndError(reference: Model, quantized: Model, data: Dataset): Promise<{ ref: number; quant: number; relRmse: number }> {
  const a = await evaluate(reference, data, { keepOutputs: true });
  const b = await evaluate(quantized, data, { keepOutputs: true });
  const x = a.outputs!.data;
  const y = b.outputs!.data;
  let se = 0;
  let sr = 0;
  for (let i = 0; i < x.length; i++) { se += (x[i]! - y[i]!) ** 2; sr += x[i]! ** 2; }
  return { ref: a.top1, quant: b.top1, relRmse: Math.sqrt(se / sr) };
}
