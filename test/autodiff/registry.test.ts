import { describe, expect, it } from 'vitest';
import { findRule, GRAD_RULES, opsWithRules, type GradRuleEntry } from '../../src/autodiff/index.js';

describe('gradient rule registry', () => {
  it('has one row per domain, op and opset start', () => {
    const keys = GRAD_RULES.map((r) => `${r.domain}|${r.opType}|${r.since}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('finds rules by domain, op and opset range', () => {
    expect(findRule('', 'Softmax', 11)?.opType).toBe('Softmax');
    expect(findRule('ai.onnx', 'MatMul', 17)?.opType).toBe('MatMul');
    expect(findRule('', 'Gelu', 17)).toBeUndefined();
    expect(findRule('', 'Gelu', 20)?.since).toBe(20);
    expect(findRule('com.microsoft', 'Gelu', 1)?.domain).toBe('com.microsoft');
    expect(findRule('', 'SoftmaxCrossEntropyLoss', 11)).toBeUndefined();
    expect(findRule('', 'Cos', 17)).toBeUndefined();
  });

  it('picks the row with the largest since, and honours until', () => {
    const rule = () => [];
    const table: GradRuleEntry[] = [
      { domain: '', opType: 'Foo', since: 1, until: 10, rule },
      { domain: '', opType: 'Foo', since: 11, rule },
      { domain: '', opType: 'Foo', since: 13, rule },
      { domain: '', opType: 'Bar', since: 1, until: 5, rule },
    ];
    expect(findRule('', 'Foo', 9, table)?.since).toBe(1);
    expect(findRule('', 'Foo', 12, table)?.since).toBe(11);
    expect(findRule('', 'Foo', 18, table)?.since).toBe(13);
    expect(findRule('', 'Bar', 6, table)).toBeUndefined();
  });

  it('lists the ops with rules, contrib ops with their domain', () => {
    const ops = opsWithRules(GRAD_RULES);
    expect(ops).toContain('Gemm');
    expect(ops).toContain('com.microsoft:FastGelu');
    expect([...ops].sort()).toEqual(ops);
  });
});
