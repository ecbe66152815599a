import { describe, expect, it } from 'vitest';
import { OpTable } from '../../src/ir/op-table.js';

const rows = [
  { domain: '', opType: 'Squeeze', since: 1, tag: 'attr' },
  { domain: '', opType: 'Squeeze', since: 13, tag: 'input' },
  { domain: '', opType: 'MaxPool', since: 8, until: 11, tag: 'old' },
  { domain: 'com.microsoft', opType: 'Gelu', since: 1, tag: 'ms' },
];

describe('OpTable', () => {
  const t = new OpTable(rows);
  it('picks the newest row not above the opset (example in the TSDoc)', () => {
    expect(t.find('', 'Squeeze', 11)?.tag).toBe('attr');
    expect(t.find('ai.onnx', 'Squeeze', 17)?.tag).toBe('input');
    expect(t.find('', 'Squeeze', undefined)?.tag).toBe('input');
  });

  it('respects until, domains and unknown ops', () => {
    expect(t.find('', 'MaxPool', 11)?.tag).toBe('old');
    expect(t.find('', 'MaxPool', 12)).toBeUndefined();
    expect(t.find('', 'MaxPool', 7)).toBeUndefined();
    expect(t.find('com.microsoft', 'Gelu', 1)?.tag).toBe('ms');
    expect(t.find('', 'Gelu', 17)).toBeUndefined();
    expect(t.find('', 'Frobnicate', 17)).toBeUndefined();
  });
});
