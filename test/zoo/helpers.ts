import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import type { Model } from '../../src/ir/graph.js';
import { encodeModel } from '../../src/onnx/index.js';
import { Rng } from '../../src/util/rng.js';

/**
 * Parameters of a model: elements of its float initializers, leaving out int64 shape/index constants and rank-0
 * scalars (Clip bounds, Gelu and attention-scale constants). BatchNorm running statistics count, as they do in
 * PyTorch's state_dict.
 */
export function paramCount(model: Model): number {
  return model.graph.initializers
    .filter((v) => v.constant && v.constant.dtype !== 'int64' && v.constant.dims.length > 0)
    .reduce((a, v) => a + v.constant!.size, 0);
}

/** Seeded uniform [0, 1) inputs of shape [batch, 1, 28, 28]. */
export function randomImages(batch: number, seed = 123): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: batch * 28 * 28 }, () => rng.next());
}

/** Encodes the model, loads it in onnxruntime and runs `input` ([batch,1,28,28]); returns 'logits'. */
export async function runLogits(model: Model, input: Float32Array, batch: number): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, [batch, 1, 28, 28]) });
    const logits = out['logits'];
    if (!logits) throw new Error(`no 'logits' output; got ${Object.keys(out).join(', ')}`);
    return logits;
  } finally {
    await session.release();
  }
}

/** SHA-256 of every initializer's name and bytes, in order (cheap to compare for determinism checks). */
export function initializerDigest(model: Model): string {
  const h = createHash('sha256');
  for (const v of model.graph.initializers) h.update(v.name).update(v.constant!.bytes());
  return h.digest('hex');
}

/** SHA-256 of bytes. */
export function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
