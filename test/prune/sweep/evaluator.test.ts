import { describe, expect, it } from 'vitest';
import { maskedCopy, weightsAsInputs } from '../../../src/prune/sweep/evaluator.js';
import { spawnWorker, tsxEsmApi } from '../../../src/prune/sweep/pool.js';
import { createSession } from '../../../src/runtime/index.js';
import { mixedModel } from '../helpers.js';

describe('sweep plumbing', () => {
  it('turns initializer and Constant-node weights into graph inputs that onnxruntime feeds', async () => {
    const model = mixedModel();
    const m = weightsAsInputs(model, ['C_shared', 'k_const']);
    expect(m.graph.inputs.map((v) => [v.name, v.shape])).toEqual([['x', ['N', 2, 6, 6]], ['C_shared', [8, 8]], ['k_const', [2, 3]]]);
    expect(m.graph.nodes.some((n) => n.opType === 'Constant')).toBe(false);
    expect(model.graph.nodes.some((n) => n.opType === 'Constant')).toBe(true);
    const s = await createSession(m);
    expect(s.inputNames).toEqual(['x', 'C_shared', 'k_const']);
    await s.release();
  });

  it('zeroes masked elements in a fresh copy', () => {
    const w = Float32Array.from([1, 2, 3]);
    expect([...maskedCopy(w, Uint8Array.from([0, 1, 0]))]).toEqual([0, 2, 0]);
    expect([...w]).toEqual([1, 2, 3]);
  });

  it('starts a TypeScript worker through tsx hooks registered in the worker', async () => {
    expect(tsxEsmApi()).toMatch(/^file:.*tsx\/dist\/esm\/api\/index\.mjs$/);
    const src = new URL('./echo-worker.ts', import.meta.url);
    const got = await new Promise<unknown>((resolve, reject) => {
      const w = spawnWorker(src, { n: 21 });
      w.once('message', (m) => { void w.terminate(); resolve(m); });
      w.once('error', reject);
    });
    expect(got).toEqual({ doubled: 42 });
  });
});
