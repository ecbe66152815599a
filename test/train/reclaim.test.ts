import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Reclaimer } from '../../src/train/reclaim.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('Reclaimer', () => {
  it('collects once the noted bytes reach the budget, then counts again from zero', () => {
    let calls = 0;
    const r = new Reclaimer(1024, () => { calls++; });
    r.note(1000);
    r.collectIfDue();
    expect(calls).toBe(0);
    r.note(24);
    r.collectIfDue();
    r.collectIfDue();
    expect(calls).toBe(1);
    r.note(1023);
    r.collectIfDue();
    expect(calls).toBe(1);
  });

  it("frees unreferenced ArrayBuffers with V8's minor collection", async () => {
    const r = new Reclaimer(0);
    expect(r.active).toBe(true);
    const held = (): number => process.memoryUsage().arrayBuffers;
    const before = held();
    (() => { new Float32Array(4 << 20).fill(1); })(); // 16 MiB, unreferenced once this returns
    expect(held()).toBeGreaterThanOrEqual(before + 16 * 2 ** 20);
    r.note(16 * 2 ** 20);
    r.collectIfDue();
    for (let i = 0; i < 5; i++) await tick(); // V8's sweeper releases young buffers in the background
    // Left to itself, V8 would wait for 32 MiB of young buffers before collecting.
    expect(held()).toBeLessThan(before + 2 ** 20);
  });

  it('leaves no gc function in other contexts', () => {
    expect(new Reclaimer(0).active).toBe(true);
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });

  it('rejects a negative budget', () => {
    expect(() => new Reclaimer(-1)).toThrow(/'budget' must be a number >= 0, got -1/);
  });
});
