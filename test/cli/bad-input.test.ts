import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, StringStringEntryProtoSchema, TensorProto_DataLocation, TensorProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { encodeModel, saveModel } from '../../src/onnx/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { cli, tempDir, type CliResult } from './helpers.js';

/** The CLI's contract for bad input: exit 3, exactly one line naming the file and the problem, no stack trace. */
function expectInputError(r: CliResult, file: string, problem: RegExp): void {
  expect(r.code).toBe(3);
  const lines = r.err.split('\n').filter((l) => l.length > 0);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(problem);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.out).toBe('');
}

function modelFile(dir: string, edit: (p: ReturnType<typeof fromBinary<typeof ModelProtoSchema>>) => void, name = 'm.onnx'): string {
  const p = fromBinary(ModelProtoSchema, encodeModel(buildZooModel('lenet-300-100')));
  edit(p);
  const file = join(dir, name);
  writeFileSync(file, toBinary(ModelProtoSchema, p));
  return file;
}

function externalize(p: ReturnType<typeof fromBinary<typeof ModelProtoSchema>>, location: string, offset = 0): void {
  const t = p.graph!.initializer[0]!;
  const len = t.rawData.byteLength;
  t.rawData = new Uint8Array(0);
  t.dataLocation = TensorProto_DataLocation.EXTERNAL;
  t.externalData = [
    create(StringStringEntryProtoSchema, { key: 'location', value: location }),
    create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
    create(StringStringEntryProtoSchema, { key: 'length', value: String(len) }),
  ];
}

describe('bad input gets one clear line, exit 3, and no partial output', () => {
  it('truncated model', async () => {
    const dir = tempDir();
    const full = encodeModel(buildZooModel('lenet5'));
    const file = join(dir, 'cut.onnx');
    writeFileSync(file, full.subarray(0, Math.floor(full.byteLength / 2)));
    expectInputError(await cli('inspect', file), file, /not a valid ONNX model|truncated|malformed/i);
  });

  it('random bytes', async () => {
    const dir = tempDir();
    const file = join(dir, 'noise.onnx');
    writeFileSync(file, Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    expectInputError(await cli('inspect', file), file, /not a valid ONNX model|malformed/i);
  });

  it('a valid protobuf that is not a model', async () => {
    const dir = tempDir();
    const file = join(dir, 'tensor.onnx');
    writeFileSync(file, toBinary(TensorProtoSchema, create(TensorProtoSchema, { dims: [2n], dataType: 1, floatData: [1, 2] })));
    expectInputError(await cli('inspect', file), file, /not an ONNX model|no graph|opset|not a valid/i);
  });

  it('missing model file', async () => {
    expectInputError(await cli('eval', '/nonexistent/model.onnx', '--data', 'mnist'), '/nonexistent/model.onnx', /no such file/);
  });

  it('external data that is missing', async () => {
    const dir = tempDir();
    const file = modelFile(dir, (p) => externalize(p, 'weights.bin'));
    expectInputError(await cli('eval', file, '--data', 'mnist', '--limit', '10'), 'weights.bin', /missing|not found|no such/i);
  });

  it('external data paths that escape the model folder: relative, absolute, and through a symlink', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'secret.bin'), new Uint8Array(1 << 20));
    const inner = join(dir, 'model');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(inner);
    symlinkSync(join(dir, 'secret.bin'), join(inner, 'link.bin'));
    for (const location of ['../secret.bin', join(dir, 'secret.bin'), 'link.bin']) {
      const file = modelFile(inner, (p) => externalize(p, location));
      const r = await cli('inspect', file);
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/escapes|outside|absolute/i);
    }
  });

  it('external data range beyond the file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(16));
    const file = modelFile(dir, (p) => externalize(p, 'w.bin', 8));
    const r = await cli('eval', file, '--data', 'mnist', '--limit', '10');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/w\.bin/);
    expect(r.err).toMatch(/beyond|outside|range|past the end/i);
  });

  it('dims whose product overflows memory', async () => {
    const dir = tempDir();
    const file = modelFile(dir, (p) => { p.graph!.initializer[0]!.dims = [1_000_000n, 1_000_000n, 1_000_000n]; });
    const r = await cli('inspect', file);
    expect(r.code).toBe(3);
    expect(r.err.split('\n').filter((l) => l).length).toBe(1);
    expect(r.err).toMatch(/m\.onnx/);
  });

  it('an unknown dtype code', async () => {
    const dir = tempDir();
    const file = modelFile(dir, (p) => { p.graph!.initializer[0]!.dataType = 99; });
    const r = await cli('inspect', file);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/99/);
  });

  it('a dataset whose samples do not fit the model input', async () => {
    const dir = tempDir();
    const { writeNpz } = await import('../../src/data/index.js');
    const npz = join(dir, 'rgb.npz');
    await writeNpz(npz, new Map([
      ['x', { dtype: 'float32', shape: [4, 3, 32, 32], data: new Float32Array(4 * 3 * 32 * 32) }],
      ['y', { dtype: 'int64', shape: [4], data: new BigInt64Array(4) }],
    ]));
    const r = await cli('eval', 'zoo:lenet5', '--data', npz);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/\[3, ?32, ?32\]|3x32x32|3072/);
  });

  it('--verbose adds the stack trace', async () => {
    const r = await cli('inspect', '/nonexistent.onnx', '--verbose');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/\n\s+at /);
  });

  it('usage errors exit 2 and name the option and range', async () => {
    const r = await cli('bench', 'zoo:lenet5', '--batch', '0');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/'--batch' must be a comma-separated list of integers >= 1, got '0'/);
    expect((await cli('prune-everything')).code).toBe(2);
  });

  it('never overwrites the input when saving to a new path, and saving is atomic', async () => {
    const dir = tempDir();
    const file = join(dir, 'a.onnx');
    await saveModel(buildZooModel('lenet5'), file);
    const before = readFileSync(file);
    expect((await cli('zoo', 'lenet5', '--seed', '3', '--out', join(dir, 'b.onnx'))).code).toBe(0);
    expect(Buffer.compare(readFileSync(file), before)).toBe(0);
  });
});
