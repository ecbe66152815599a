import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Graph, createModel, type Model } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/index.js';
import { describeGraph, floats, runOrt, tempDir } from './helpers.js';

/** x[1,256] -> MatMul(W[256,64]) -> Add(B[64]) -> MatMul(W2[64,8]) -> y; W is 64 KiB, W2 2 KiB, B 256 B. */
function model(): Model {
  const g = new Graph('ext');
  const x = g.addInput('x', 'float32', [1, 256]);
  const w = g.addInitializer('W', Tensor.fromTyped('float32', [256, 64], floats(256 * 64, 11)));
  const b = g.addInitializer('B', Tensor.fromTyped('float32', [64], floats(64, 12)));
  const w2 = g.addInitializer('W2', Tensor.fromTyped('float32', [64, 8], floats(64 * 8, 13)));
  const h = g.addNode('MatMul', [x, w], { name: 'mm' }).output(0)!;
  const hb = g.addNode('Add', [h, b], { name: 'add' }).output(0)!;
  const y = g.addNode('MatMul', [hb, w2], { name: 'mm2', outputs: ['y'] }).output(0)!;
  y.dtype = 'float32';
  y.shape = [1, 8];
  g.outputs.push(y);
  return createModel(g, 17);
}

const feeds = { x: { dims: [1, 256], data: floats(256, 21) } };

/** Saves the model with external data, then rewrites W's external_data entries. */
async function withExternal(dir: string, edit: Record<string, string>): Promise<string> {
  const file = path.join(dir, 'model.onnx');
  await saveModel(model(), file, { externalData: true });
  const p = fromBinary(ModelProtoSchema, fs.readFileSync(file));
  const w = p.graph!.initializer.find((t) => t.name === 'W')!;
  for (const [key, value] of Object.entries(edit)) {
    const e = w.externalData.find((x) => x.key === key);
    if (e) e.value = value;
    else w.externalData.push({ ...w.externalData[0]!, key, value });
  }
  fs.writeFileSync(file, toBinary(ModelProtoSchema, p));
  return file;
}

describe('saveModel with externalData', () => {
  it('writes large tensors to one aligned side file and loads them lazily', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'model.onnx');
    const m = model();
    await saveModel(m, file, { externalData: true });
    expect(fs.readdirSync(dir).sort()).toEqual(['model.onnx', 'model.onnx.data']);
    const p = fromBinary(ModelProtoSchema, fs.readFileSync(file));
    const entries = Object.fromEntries(p.graph!.initializer.map((t) => [t.name, Object.fromEntries(t.externalData.map((e) => [e.key, e.value]))]));
    expect(entries).toEqual({
      W: { location: 'model.onnx.data', offset: '0', length: '65536' },
      B: {},
      W2: { location: 'model.onnx.data', offset: '65536', length: '2048' },
    });
    expect(fs.statSync(path.join(dir, 'model.onnx.data')).size).toBe(65536 + 2048);

    const back = await loadModel(file);
    const w = back.graph.value('W')!.constant!;
    expect([w.isLazy, back.graph.value('B')!.constant!.isLazy]).toEqual([true, false]);
    expect(describeGraph(back.graph)).toEqual(describeGraph(m.graph)); // reads W and W2
    expect(w.isLazy).toBe(false);
    const a = await runOrt(encodeModel(m), feeds);
    const b = await runOrt(file, feeds);
    expect(Buffer.from(b['y']!).equals(Buffer.from(a['y']!))).toBe(true);
  });

  it('honours threshold and location, aligns page-sized tensors to 4096, and is deterministic', async () => {
    const dir = tempDir();
    const opts = { externalData: { threshold: 100, location: 'weights.bin' } };
    const reordered = (): Model => { const m = model(); m.graph.initializers.reverse(); return m; };
    await saveModel(reordered(), path.join(dir, 'a.onnx'), opts);
    await saveModel(reordered(), path.join(dir, 'b.onnx'), opts);
    const offsets = fromBinary(ModelProtoSchema, fs.readFileSync(path.join(dir, 'a.onnx'))).graph!.initializer
      .map((t) => [t.name, t.externalData.find((e) => e.key === 'offset')?.value]);
    expect(offsets).toEqual([['W2', '0'], ['B', '2048'], ['W', '4096']]); // W (64 KiB) on a page, not at 2304
    const again = fs.readFileSync(path.join(dir, 'b.onnx'));
    expect(again.equals(fs.readFileSync(path.join(dir, 'a.onnx')))).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['a.onnx', 'b.onnx', 'weights.bin']);
  });

  it('copies lazy tensors to a new place without loading them', async () => {
    const dir = tempDir();
    await saveModel(model(), path.join(dir, 'm.onnx'), { externalData: true });
    const lazy = await loadModel(path.join(dir, 'm.onnx'));
    fs.mkdirSync(path.join(dir, 'copy'));
    await saveModel(lazy, path.join(dir, 'copy', 'm.onnx'), { externalData: true });
    await saveModel(lazy, path.join(dir, 'copy', 'inline.onnx'));
    expect(lazy.graph.value('W')!.constant!.isLazy).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'copy', 'm.onnx.data')).equals(fs.readFileSync(path.join(dir, 'm.onnx.data')))).toBe(true);
    expect(Buffer.from(encodeModel(await loadModel(path.join(dir, 'copy', 'inline.onnx')))).equals(Buffer.from(encodeModel(model())))).toBe(true);
  });

  it('saving over the files a lazy model reads from keeps its tensors correct', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'm.onnx');
    await saveModel(model(), file, { externalData: { threshold: 1024 } });
    const lazy = await loadModel(file);
    // W stays in the (rewritten) side file, W2 moves inline: W is re-pointed, W2 read before the file is replaced
    await saveModel(lazy, file, { externalData: { threshold: 4096 } });
    expect([lazy.graph.value('W')!.constant!.isLazy, lazy.graph.value('W2')!.constant!.isLazy]).toEqual([true, false]);
    expect(describeGraph(lazy.graph)).toEqual(describeGraph(model().graph));
    expect(describeGraph((await loadModel(file)).graph)).toEqual(describeGraph(model().graph));
    expect(fs.readdirSync(dir).sort()).toEqual(['m.onnx', 'm.onnx.data']);
  });

  it('refuses models over 2 GiB without external data, before reading anything', async () => {
    const g = new Graph('huge');
    const big = new Tensor('float32', [3, 2 ** 28], { kind: 'lazy', byteLength: 3 * 2 ** 30, describe: 'big', read: () => { throw new Error('must not read'); } });
    g.outputs.push(g.addInitializer('big', big));
    const m = createModel(g);
    const message = /\/big\.onnx: the model needs 3\.00 GiB inside the protobuf, over its 2 GiB limit; save it with saveModel\(model, path, \{ externalData: true \}\)/;
    await expect(saveModel(m, path.join(tempDir(), 'big.onnx'))).rejects.toThrow(message);
    expect(() => encodeModel(m)).toThrow(/^<model>: the model needs 3\.00 GiB/);
    expect(big.isLazy).toBe(true);
  });

  it('is atomic: a failed save leaves the old file and no temporary files', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'm.onnx');
    fs.writeFileSync(file, 'old');
    const m = model();
    m.graph.value('W2')!.constant = new Tensor('float32', [64, 8], { kind: 'lazy', byteLength: 2048, describe: 'W2', read: () => { throw new Error('disk on fire'); } });
    await expect(saveModel(m, file, { externalData: true })).rejects.toThrow('disk on fire');
    expect(fs.readdirSync(dir)).toEqual(['m.onnx']);
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
  });

  it('rejects a side-file location outside the folder', async () => {
    await expect(saveModel(model(), path.join(tempDir(), 'm.onnx'), { externalData: { location: '../w.bin' } }))
      .rejects.toMatchObject({ code: 'ONNX_EXTERNAL_PATH' });
  });
});

describe('loading external data safely', () => {
  const rejects = async (file: string, code: string, message: RegExp): Promise<void> => {
    await expect(loadModel(file)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  };

  it('rejects traversal, absolute and symlinked-outside locations', async () => {
    for (const location of ['../x.bin', 'sub/../../x.bin', '..\\x.bin', '/etc/passwd', 'C:\\Windows\\win.ini']) {
      await rejects(await withExternal(tempDir(), { location }), 'ONNX_EXTERNAL_PATH', /model\.onnx: initializer 'W' refers to .*; external data must be a file inside the model's folder\.$/);
    }
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, 'secret.bin'), new Uint8Array(65536));
    const dir = tempDir();
    fs.symlinkSync(path.join(outside, 'secret.bin'), path.join(dir, 'link.bin'));
    await rejects(await withExternal(dir, { location: 'link.bin' }), 'ONNX_EXTERNAL_PATH', /which resolves to .*secret\.bin outside the model folder/);
  });

  it('accepts a location that stays inside the folder, through a subfolder or an inside symlink', async () => {
    const dir = tempDir();
    const file = await withExternal(dir, { location: 'sub/../model.onnx.data' });
    fs.mkdirSync(path.join(dir, 'sub'));
    expect((await loadModel(file)).graph.value('W')!.constant!.isLazy).toBe(true);
    fs.symlinkSync(path.join(dir, 'model.onnx.data'), path.join(dir, 'alias.bin'));
    const p = fromBinary(ModelProtoSchema, fs.readFileSync(file));
    p.graph!.initializer[0]!.externalData[0]!.value = 'alias.bin';
    const w = (decodeModel(toBinary(ModelProtoSchema, p), { baseDir: dir })).graph.value('W')!.constant!;
    expect(Buffer.from(w.bytes()).equals(Buffer.from(model().graph.value('W')!.constant!.bytes()))).toBe(true);
  });

  it('rejects external data when decoding bytes without a baseDir', async () => {
    const file = await withExternal(tempDir(), {});
    expect(() => decodeModel(fs.readFileSync(file), { source: 'm.onnx' })).toThrow(
      "m.onnx: initializer 'W' keeps its data in external file 'model.onnx.data', but the model was decoded from bytes without a baseDir; pass { baseDir } or use loadModel().",
    );
  });

  it('reports missing files and ranges beyond the end of the file', async () => {
    await rejects(await withExternal(tempDir(), { location: 'gone.bin' }), 'ONNX_EXTERNAL_MISSING', /model\.onnx: initializer 'W' keeps its data in 'gone\.bin', which does not exist/);
    await rejects(await withExternal(tempDir(), { offset: '100000' }), 'ONNX_EXTERNAL_RANGE', /initializer 'W': external bytes \[100000, 165536\) lie beyond the end of 'model\.onnx\.data' \(67584 bytes\)\.$/);
    await rejects(await withExternal(tempDir(), { length: '99999999' }), 'ONNX_EXTERNAL_RANGE', /lie beyond the end/);
    await rejects(await withExternal(tempDir(), { length: '1024' }), 'ONNX_TENSOR_SIZE', /initializer 'W': float32 \[256, 64\] needs 65536 bytes, but its external data in 'model\.onnx\.data' has 1024\./);
    await rejects(await withExternal(tempDir(), { offset: '-5' }), 'ONNX_EXTERNAL_RANGE', /external data offset '-5' is not a non-negative integer/);
  });
});
