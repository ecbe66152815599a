import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { captureActivations, createSession, exposeValues, probeShapes } from '../../src/runtime/index.js';
import { convNet, dataset, mlp } from './models.js';

const ROWS = Array.from({ length: 7 }, (_, i) => [i - 3, Math.sin(i), 0.5 * i, -1 + (i % 3)]);
const ds = dataset(ROWS, new Array<number>(7).fill(0), [4], 3);

/** Runs the truncated model (output 'h') on all rows at once. */
async function direct(): Promise<Float32Array> {
  const s = await createSession(mlp({ upTo: 'h' }));
  try {
    const out = await s.run({ x: { dtype: 'float32', dims: [7, 4], data: ds.x } });
    return out.h!.data as Float32Array;
  } finally {
    await s.release();
  }
}

async function capture(model = mlp(), batchSize = 3) {
  const got = new Map<string, number[]>();
  const calls: string[] = [];
  const r = await captureActivations(model, ds, ['h', 'logits'], {
    batchSize,
    onBatch: (name, data, dims, b) => {
      calls.push(`${name}@${b.start}+${b.size}:[${dims.join(',')}]`);
      got.set(name, [...(got.get(name) ?? []), ...data]);
    },
  });
  return { r, got, calls };
}

describe('captureActivations', () => {
  it('streams the same values as a direct run of a truncated model', async () => {
    const model = mlp();
    const { r, got, calls } = await capture(model);
    expect(r.count).toBe(7);
    expect(got.get('h')).toEqual(Array.from(await direct()));
    expect(got.get('logits')).toHaveLength(21);
    expect(calls).toEqual(['h@0+3:[3,5]', 'logits@0+3:[3,3]', 'h@3+3:[3,5]', 'logits@3+3:[3,3]', 'h@6+1:[1,5]', 'logits@6+1:[1,3]']);
    expect(model.graph.outputs.map((v) => v.name)).toEqual(['logits']); // caller's model untouched
  });

  it('cuts padded rows when the model batch is fixed', async () => {
    const { got, calls } = await capture(mlp({ batch: 4 }), 100);
    expect(got.get('h')).toEqual(Array.from(await direct()));
    expect(calls).toContain('h@4+3:[3,5]');
  });

  it('awaits async callbacks and honours limit', async () => {
    const order: number[] = [];
    await captureActivations(mlp(), ds, ['h'], {
      batchSize: 2,
      limit: 5,
      onBatch: async (_n, _d, _dims, b) => {
        await new Promise((res) => setTimeout(res, 1));
        order.push(b.start);
      },
    });
    expect(order).toEqual([0, 2, 4]);
  });

  it('lists every unknown value name at once', async () => {
    const err = await captureActivations(mlp(), ds, ['nope', 'h', 'missing'], { onBatch: () => undefined }).catch((e: unknown) => e);
    expect((err as SecateursError).code).toBe('RUNTIME_UNKNOWN_VALUE');
    expect((err as Error).message).toContain("no value named 'nope'");
    expect((err as Error).message).toContain("no value named 'missing'");
  });

  it('exposeValues returns a copy whose outputs are the values (example in the TSDoc)', () => {
    const m = mlp();
    const e = exposeValues(m, ['h', 'logits']);
    expect(e.graph.outputs.map((v) => v.name)).toEqual(['h', 'logits']);
    expect(m.graph.outputs.map((v) => v.name)).toEqual(['logits']);
  });
});

describe('probeShapes', () => {
  it('returns dtype and dims of every value of a small conv net, types unknown beforehand', async () => {
    const model = convNet();
    expect(model.graph.requireValue('conv_out').dtype).toBeUndefined();
    const shapes = await probeShapes(model);
    expect(Object.fromEntries([...shapes].map(([k, v]) => [k, `${v.dtype}[${v.dims.join(',')}]`]))).toEqual({
      x: 'float32[1,1,8,8]',
      conv_out: 'float32[1,2,6,6]',
      relu_out: 'float32[1,2,6,6]',
      pool_out: 'float32[1,2,3,3]',
      flat: 'float32[1,18]',
      logits: 'float32[1,3]',
    });
    expect(model.graph.outputs.map((v) => v.name)).toEqual(['logits']);
  });

  it('uses given dim sizes and feeds', async () => {
    const shapes = await probeShapes(convNet(), { freeDims: { N: 3 } });
    expect(shapes.get('pool_out')!.dims).toEqual([3, 2, 3, 3]);
    const fed = await probeShapes(convNet(), { feeds: { x: { dtype: 'float32', dims: [2, 1, 8, 8], data: new Float32Array(128) } } });
    expect(fed.get('flat')!.dims).toEqual([2, 18]);
  });
});
