import { describe, expect, it } from 'vitest';
import { describeSelector, edgeTargets, findTargets, matchesSelector, selectTargets } from '../../src/prune/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { mixedModel } from './helpers.js';

describe('selectors', () => {
  const model = buildZooModel('lenet5');
  const targets = findTargets(model);
  const [conv1, , fc1] = targets;

  it('match exact weight or node names, regular expressions (even global ones) and op types', () => {
    expect(matchesSelector('conv1/weight', conv1!)).toBe(true);
    expect(matchesSelector('conv1/Conv', conv1!)).toBe(true);
    expect(matchesSelector('conv1', conv1!)).toBe(false);
    const g = /conv/g;
    expect([matchesSelector(g, conv1!), matchesSelector(g, conv1!)]).toEqual([true, true]);
    expect(matchesSelector({ opType: 'Gemm' }, fc1!)).toBe(true);
    expect([describeSelector('a'), describeSelector(/a/i), describeSelector({ opType: 'Conv' })]).toEqual(["'a'", '/a/i', "{ opType: 'Conv' }"]);
  });

  it('finds the layers at the network edges', () => {
    expect(edgeTargets(model, targets, 'input')).toEqual(['conv1/weight']);
    expect(edgeTargets(model, targets, 'output')).toEqual(['fc2/weight']);
    const m = mixedModel();
    expect(edgeTargets(m, findTargets(m), 'output')).toEqual(['k_const']);
  });

  it('collects problems instead of throwing', () => {
    const { selected, problems } = selectTargets(model, targets, { include: ['nope'], exclude: [{ opType: 'LSTM' }] });
    expect(selected).toEqual([]);
    expect(problems).toHaveLength(2);
    expect(problems[1]).toMatch(/^exclude \{ opType: 'LSTM' \} matches no prunable layer; prunable layers: 'conv1\/weight', 'conv2\/weight', 'fc1\/weight', 'fc2\/weight'$/);
  });
});
