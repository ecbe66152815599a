import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeNpz, encodeNpz } from '../../src/data/npz.js';
import { createOptimizer, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/train/index.js';
import { sameBits } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

function sample(): Checkpoint {
  const opt = createOptimizer('adam');
  const w = new Float32Array([1, -2, 3, 0.5, 7, 8]);
  opt.step([w], [new Float32Array([0.1, 0.2, 0.3, -1, 2, 1])], 0.01);
  return {
    step: 1, epoch: 0, batchInEpoch: 1, rng: [1, 2, 3, 4],
    tensors: [
      { name: 'fc/weight', dims: [2, 3], role: 'param', data: w },
      { name: 'bn/mean', dims: [2], role: 'stat', data: new Float32Array([0.5, -0.5]) },
    ],
    optimizer: opt.state(),
    config: { optimizer: 'adam', batchSize: 4 },
    run: { history: [], note: 'x' },
  };
}

describe('checkpoints', () => {
  it('round-trips every field bit-exactly through the .npz encoding', () => {
    const c = sample();
    const back = decodeCheckpoint(encodeCheckpoint(c), 'mem');
    expect(back.step).toBe(1);
    expect(back.batchInEpoch).toBe(1);
    expect(back.rng).toEqual([1, 2, 3, 4]);
    expect(back.tensors.map((t) => [t.name, t.dims, t.role])).toEqual([['fc/weight', [2, 3], 'param'], ['bn/mean', [2], 'stat']]);
    expect(sameBits(back.tensors[0]!.data, c.tensors[0]!.data)).toBe(true);
    expect(back.optimizer.kind).toBe('adam');
    expect(back.optimizer.steps).toBe(1);
    expect(sameBits(back.optimizer.buffers.v![0]!, c.optimizer.buffers.v![0]!)).toBe(true);
    expect(back.config).toEqual(c.config);
    expect(back.run).toEqual(c.run);
  });

  it('is a plain .npz: a JSON manifest plus one float32 array per tensor and optimizer buffer', () => {
    const { arrays, keys } = decodeNpz(encodeCheckpoint(sample()), 'mem');
    expect(keys).toEqual(['manifest', 'tensor_0', 'tensor_1', 'opt_m_0', 'opt_v_0']);
    expect(arrays.get('tensor_0')!.shape).toEqual([2, 3]);
    const manifest = JSON.parse(new TextDecoder().decode(arrays.get('manifest')!.data as Uint8Array)) as Record<string, unknown>;
    expect(manifest.format).toBe('secateurs.checkpoint');
    expect(manifest.version).toBe(1);
  });

  it('writes atomically (no temporary file left) and reads back from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'checkpoint.npz');
    await saveCheckpoint(path, sample());
    await saveCheckpoint(path, { ...sample(), step: 2 });
    expect(await readdir(dir)).toEqual(['checkpoint.npz']);
    expect((await loadCheckpoint(path)).step).toBe(2);
  });

  it('creates a checkpoint folder that does not exist yet', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'run', 'nested', 'checkpoint.npz');
    await saveCheckpoint(path, sample());
    expect((await loadCheckpoint(path)).step).toBe(sample().step);
  });

  it('names what is wrong with a file that is not a checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-ckpt-'));
    dirs.push(dir);
    const plain = join(dir, 'plain.npz');
    await writeFile(plain, encodeNpz({ x: { dtype: 'float32', shape: [1], data: new Float32Array(1) } }));
    await expect(loadCheckpoint(plain)).rejects.toThrow(/plain.npz: no 'manifest' member; not a Secateurs checkpoint/);
    const bytes = encodeCheckpoint(sample());
    const { arrays } = decodeNpz(bytes, 'mem');
    const m = JSON.parse(new TextDecoder().decode(arrays.get('manifest')!.data as Uint8Array)) as Record<string, unknown>;
    const json = (v: unknown) => { const data = new TextEncoder().encode(JSON.stringify(v)); return { dtype: 'uint8' as const, shape: [data.length], data }; };
    arrays.set('manifest', json({ ...m, version: 99 }));
    expect(() => decodeCheckpoint(encodeNpz(arrays), 'future.npz')).toThrow(/future.npz: version 99 is not supported/);
    arrays.delete('tensor_0');
    arrays.set('manifest', json(m));
    expect(() => decodeCheckpoint(encodeNpz(arrays), 'cut.npz')).toThrow(/cut.npz: member 'tensor_0' is missing or not float32/);
    await expect(loadCheckpoint(join(dir, 'absent.npz'))).rejects.toThrow(/absent.npz: file not found/);
    expect((await readFile(plain)).length).toBeGreaterThan(0);
  });
});
