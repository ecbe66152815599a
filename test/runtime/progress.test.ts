import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, formatLine, formatRate, resolveProgress, SILENT } from '../../src/runtime/index.js';

function fakeStream(isTTY = false) {
  const lines: string[] = [];
  return { lines, stream: { isTTY, write: (s: string) => lines.push(s) } };
}

describe('progress', () => {
  it('writes throttled plain lines when the stream is not a TTY (example in the TSDoc)', () => {
    let t = 0;
    const { lines, stream } = fakeStream();
    const p = createProgress('eval', { stream, now: () => t, intervalMs: 1000 });
    t = 500; p.update(1000, 10000); // throttled
    t = 1000; p.update(2560, 10000);
    t = 1500; p.update(5000, 10000); // throttled
    t = 2000; p.update(10000, 10000);
    p.finish();
    p.finish(); // once only
    expect(lines).toEqual([
      'eval 2560/10000 (25%) 2.6k img/s ETA 2.9s\n',
      'eval 10000/10000 (100%) 5.0k img/s ETA 0.0s\n',
      'eval 10000/10000 (100%) 5.0k img/s in 2.0s\n',
    ]);
  });

  it('draws a cli-progress bar on a TTY', () => {
    const out: string[] = [];
    const stream = { isTTY: true, write: (s: string) => { out.push(s); return true; }, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, on: () => undefined, columns: 80 };
    const p = createProgress('cap', { stream, mode: 'bar' });
    p.update(5, 10);
    p.finish();
    expect(out.join('')).toContain('cap [');
  });

  it('is silent when disabled', () => {
    const { lines, stream } = fakeStream();
    const p = createProgress('eval', { stream, mode: 'silent' });
    p.update(1, 2);
    p.finish();
    expect(lines).toEqual([]);
    expect(resolveProgress('eval', false)).toBe(SILENT);
    expect(resolveProgress('eval', undefined)).toBe(SILENT);
    expect(resolveProgress('eval', SILENT)).toBe(SILENT);
    expect(() => createProgress('x', { mode: 'loud' as 'bar' })).toThrow(RangeError);
  });

  it('formats rates, durations and lines', () => {
    expect(formatRate(12300, 1000)).toBe('12.3k');
    expect(formatRate(2.5e6, 1000)).toBe('2.5M');
    expect(formatRate(950, 1000)).toBe('950');
    expect(formatRate(5, 1000)).toBe('5.0');
    expect(formatDuration(800)).toBe('0.8s');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    expect(formatLine('eval', 2560, 10000, 208)).toBe('eval 2560/10000 (25%) 12.3k img/s ETA 0.6s');
  });
});

describe('progress status text', () => {
  it('appends the status to plain lines and to the final line', () => {
    let out = '';
    let t = 0;
    const p = createProgress('train', { mode: 'lines', stream: { write: (c: string) => { out += c; } }, intervalMs: 0, now: () => (t += 1000) });
    p.update(64, 128, 'epoch 1/2 loss 0.5000 acc 80.00%');
    p.finish();
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^train 64\/128 \(50%\) .* ETA .* epoch 1\/2 loss 0\.5000 acc 80\.00%$/);
    expect(lines[1]).toMatch(/in .* epoch 1\/2 loss 0\.5000 acc 80\.00%$/);
  });
});
