import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashParts, SensitivityCache } from '../../src/prune/index.js';

const dir = mkdtempSync(join(tmpdir(), 'secateurs-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const m = { top1: 0.5, top5: 0.9, loss: 1.25, kl: NaN };

describe('SensitivityCache', () => {
  it('keeps cells across reopenings, NaN metrics included', () => {
    const key = hashParts(['a']);
    const c = SensitivityCache.open(dir, key, { note: 'x' });
    c.setDense({ ...m, kl: 0 });
    c.put('fc1', 0.5, 'h1', m);
    const again = SensitivityCache.open(dir, key, {});
    expect(again.get('fc1', 0.5, 'h1')).toEqual(m);
    expect(again.get('fc1', 0.5, 'other-scores')).toBeUndefined();
    expect(again.dense).toEqual({ ...m, kl: 0 });
  });

  it('survives a torn last line and starts afresh on a foreign file', () => {
    const key = hashParts(['b']);
    const c = SensitivityCache.open(dir, key, {});
    c.put('l', 0.1, 'h', m);
    appendFileSync(c.path!, '{"cell": "[\\"l\\",0.2');
    const again = SensitivityCache.open(dir, key, {});
    again.put('l', 0.3, 'h', m);
    const third = SensitivityCache.open(dir, key, {});
    expect([third.get('l', 0.1, 'h'), third.get('l', 0.2, 'h'), third.get('l', 0.3, 'h')]).toEqual([m, undefined, m]);
    writeFileSync(c.path!, '{"format": "something else"}\n');
    expect(SensitivityCache.open(dir, key, {}).get('l', 0.1, 'h')).toBeUndefined();
    expect(readFileSync(c.path!, 'utf8')).toMatch(/^\{"format":"secateurs\/sensitivity-cache"/);
  });

  it('hashes parts with their boundaries', () => {
    expect(hashParts(['ab', 'c'])).not.toBe(hashParts(['a', 'bc']));
    expect(hashParts([Uint8Array.of(1, 2)])).toBe(hashParts([Uint8Array.of(0, 1, 2).subarray(1)]));
  });
});
