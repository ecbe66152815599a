import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { measureModel } from '../../src/report/measure.js';
import {
  parseRunRecord, readRunRecord, RUN_RECORD_VERSION, RUN_STAGE_KINDS, writeRunRecord, type RunRecord, type RunStage,
} from '../../src/report/run-record.js';
import { recordProblems } from '../../src/report/run-record-check.js';
import { measuredStage, stageModel, toolInfo } from '../../src/report/run-stage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'secateurs-record-'));
  dirs.push(d);
  return d;
}

function stage(name: string, kind: RunStage['kind'], over: Partial<RunStage['metrics']> = {}): RunStage {
  return {
    name, kind,
    metrics: { top1: 0.99, loss: 0.03, params: 1000, nonzero: 1000, macs: 5000, nonzeroMacs: 5000, bytes: 4200, gzipBytes: 3900, latency: [{ batch: 1, medianMs: 0.2 }, { batch: 32, medianMs: 1.5 }], durationS: 0, ...over },
    layers: [{ name: 'fc/Gemm', op: 'Gemm', weight: 'fc/weight', params: 1000, nonzero: over.nonzero ?? 1000, sparsity: 1 - (over.nonzero ?? 1000) / 1000, channelsAfter: 10 }],
    blocked: [],
    notes: [],
  };
}

/** A small valid record. */
function record(): RunRecord {
  return {
    version: RUN_RECORD_VERSION, title: 'a run', createdAt: '2025-01-02T03:04:05.000Z', tool: toolInfo(),
    source: { path: 'model.onnx', params: 1000, macs: 5000 }, data: { name: 'mnist', split: 'test', count: 100 },
    stages: [stage('original', 'original'), stage('prune 90%', 'prune', { nonzero: 100, nonzeroMacs: 500, durationS: 1.5 })],
  };
}

describe('run record', () => {
  it('writes run.json atomically and reads it back equal, from the folder or the file', async () => {
    const dir = join(tempDir(), 'new', 'run');
    const r = record();
    const file = await writeRunRecord(dir, r);
    expect(file).toBe(join(dir, 'run.json'));
    expect(readdirSync(dir)).toEqual(['run.json']);
    expect(await readRunRecord(dir)).toEqual(r);
    expect(await readRunRecord(file)).toEqual(r);
  });

  it('lists every problem of an invalid record together, each with its JSON path', () => {
    const bad = JSON.parse(JSON.stringify(record())) as Record<string, unknown> & { stages: Record<string, unknown>[] };
    delete bad.title;
    bad.createdAt = 'yesterday';
    const s0 = bad.stages[0]!;
    s0.kind = 'prune';
    const s1 = bad.stages[1]! as { name: string; kind: string; metrics: Record<string, unknown>; model?: unknown; layers: Record<string, unknown>[] };
    s1.name = 'original';
    s1.kind = 'shrink';
    s1.metrics.nonzero = 5000;
    s1.metrics.latency = [{ batch: 32, medianMs: 1 }, { batch: 1, medianMs: -2 }];
    s1.model = { path: '../outside.onnx', bytes: 10 };
    s1.layers[0]!.sparsity = 1.5;
    bad.sensitivity = { source: 'file', path: '/etc/passwd' };
    let err: unknown;
    try {
      parseRunRecord(bad, 'run.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecateursError);
    expect((err as SecateursError).code).toBe('DATA_MALFORMED');
    const msg = (err as Error).message;
    expect(msg).toMatch(/^run\.json is not a valid run record: 11 problems:/);
    for (const line of [
      'title: expected a non-empty string, found nothing',
      'createdAt: expected an ISO 8601 time, found "yesterday"',
      `stages[0].kind: expected 'original' (the first stage is the input model), found "prune"`,
      `stages[1].kind: expected one of ${RUN_STAGE_KINDS.join(', ')}, found "shrink"`,
      'stages[1].metrics.nonzero: expected an integer in [0, 1000], found 5000',
      'stages[1].metrics.latency[1].batch: expected a batch size above 32 (ascending, each once), found 1',
      'stages[1].metrics.latency[1].medianMs: expected a number >= 0, found -2',
      'stages[1].layers[0].sparsity: expected a number in [0, 1], found 1.5',
      'stages[1].model.path: expected a path relative to the run folder (no leading /, no ..), found "../outside.onnx"',
      'stages[1].name: expected a name no earlier stage has, found "original"',
      'sensitivity.path: expected a path relative to the run folder (no leading /, no ..), found "/etc/passwd"',
    ]) expect(msg).toContain(line);
  });

  it('accepts a valid record with no problems, and rejects non-objects and empty stage lists', () => {
    expect(recordProblems(record(), { version: RUN_RECORD_VERSION, kinds: RUN_STAGE_KINDS })).toEqual([]);
    expect(recordProblems([], { version: 1, kinds: RUN_STAGE_KINDS })).toEqual(['record: expected an object, found an array']);
    expect(recordProblems({ ...record(), stages: [] }, { version: 1, kinds: RUN_STAGE_KINDS })).toEqual(["stages: expected at least the 'original' stage, found none"]);
  });

  it('names a newer format version, a missing file and a file that is not JSON', async () => {
    expect(() => parseRunRecord({ ...record(), version: RUN_RECORD_VERSION + 1 }, 'x')).toThrow(/run record version 2 was written by a newer Secateurs; this one reads version 1/);
    const dir = tempDir();
    await expect(readRunRecord(dir)).rejects.toMatchObject({ code: 'DATA_MISSING', message: expect.stringContaining(`'${join(dir, 'run.json')}': no such file`) as unknown });
    writeFileSync(join(dir, 'run.json'), '{"version": 1,');
    await expect(readRunRecord(dir)).rejects.toMatchObject({ code: 'DATA_MALFORMED', message: expect.stringContaining('is not JSON') as unknown });
  });

  it('never writes an invalid record', async () => {
    const dir = tempDir();
    const bad = { ...record(), stages: [stage('original', 'original', { params: -1 })] };
    await expect(writeRunRecord(dir, bad)).rejects.toThrow(/stages\[0\]\.metrics\.params: expected an integer >= 0, found -1/);
    expect(existsSync(join(dir, 'run.json'))).toBe(false);
    const nan = { ...record(), stages: [stage('original', 'original', { top1: Number.NaN })] };
    await expect(writeRunRecord(dir, nan)).rejects.toThrow(/stages\[0\]\.metrics\.top1: expected a number in \[0, 1\], found null/);
  });
});

describe('stages from measurements', () => {
  it('copies a measurement into stage metrics and layer rows, with channels before from the previous stage', async () => {
    const model = buildZooModel('lenet-300-100', { seed: 0 });
    const m = await measureModel(model, undefined, { runs: 3, batchSizes: [4, 1] });
    const first = measuredStage({ name: 'original', kind: 'original', measurement: m });
    expect(first.metrics).toMatchObject({ params: m.summary.params, nonzero: m.summary.nonzeroParams, macs: m.summary.macs, bytes: m.summary.fileBytes, gzipBytes: m.summary.gzipBytes, durationS: 0 });
    expect(first.metrics.top1).toBeUndefined();
    expect(first.metrics.latency.map((l) => l.batch)).toEqual([1, 4]);
    expect(first.layers.map((l) => [l.name, l.op, l.channelsBefore, l.channelsAfter])).toEqual(
      m.summary.layers.map((l) => [l.node, l.opType, undefined, l.outputShape![l.outputShape!.length - 1]]),
    );
    const second = measuredStage({ name: 'again', kind: 'export', measurement: m, previous: first, durationS: 2 });
    expect(second.layers.every((l) => l.channelsBefore === l.channelsAfter && l.channelsAfter !== undefined)).toBe(true);
    expect(parseRunRecord({ ...record(), stages: [first, second] })).toBeTruthy();
  });

  it('references a model file by its path inside the run folder, and refuses one outside it', async () => {
    const dir = tempDir();
    await mkdir(join(dir, 'models'));
    await writeFile(join(dir, 'models', 'a.onnx'), new Uint8Array(123));
    expect(await stageModel(dir, join(dir, 'models', 'a.onnx'))).toEqual({ path: 'models/a.onnx', bytes: 123 });
    await expect(stageModel(join(dir, 'models'), join(dir, 'b.onnx'))).rejects.toThrow(RangeError);
  });
});
