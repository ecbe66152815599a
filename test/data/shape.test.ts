import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { assertInputShape, checkInputShape, withSampleShape } from '../../src/data/index.js';
import { toyDataset } from './helpers.js';

const mnist = { ...toyDataset(2, 10, [1, 28, 28]), name: 'mnist' };

describe('withSampleShape', () => {
  it('reshapes without copying (example in TSDoc)', () => {
    const flat = withSampleShape(mnist, [784]);
    expect(flat.sampleShape).toEqual([784]);
    expect(flat.x).toBe(mnist.x);
  });

  it('rejects a shape of another size with a RangeError naming both', () => {
    expect(() => withSampleShape(mnist, [3, 32, 32])).toThrow(new RangeError(
      "'shape' [3,32,32] holds 3072 values per sample, but samples of mnist are [1,28,28] (784 values)."));
    expect(() => withSampleShape(mnist, [-784])).toThrow(RangeError);
  });
});

describe('checkInputShape', () => {
  it('accepts an exact match with a symbolic batch (and symbolic sample dims)', () => {
    const c = checkInputShape(mnist, ['N', 1, 28, 28], 'input');
    expect(c).toMatchObject({ ok: true, kind: 'exact', sampleShape: [1, 28, 28], fixedBatch: null });
    expect(c.message).toBe("dataset samples [1,28,28] fit model input 'input' [N,1,28,28]");
    expect(checkInputShape(mnist, [null, 1, 'h', 'w']).kind).toBe('exact');
  });

  it('reports that a flattened input can be fed after a reshape (example in TSDoc)', () => {
    const c = checkInputShape(mnist, ['N', 784], 'input');
    expect(c).toMatchObject({ ok: true, kind: 'reshape', sampleShape: [784], fixedBatch: null });
    expect(c.message).toContain('reshape samples to [784] (withSampleShape)');
    expect(checkInputShape(mnist, ['N', 'features'])).toMatchObject({ kind: 'reshape', sampleShape: [784] });
    expect(checkInputShape(mnist, [1, 28, 28]))
      .toMatchObject({ kind: 'reshape', sampleShape: [28, 28], fixedBatch: 1 });
  });

  it('explains a mismatch (example in TSDoc)', () => {
    const c = checkInputShape(mnist, ['N', 3, 32, 32], 'input');
    expect(c.ok).toBe(false);
    expect(c.message).toBe(
      "dataset samples are [1,28,28] (784 values) but model input 'input' expects [N,3,32,32] " +
      '(3072 values per sample)');
    expect(checkInputShape(mnist, ['N', 3, 'h', 'w']).message).toContain('several free sample dimensions');
    expect(checkInputShape(mnist, ['N', 3, 'n']).message).toContain('784 is not a multiple of 3');
    expect(checkInputShape(mnist, []).ok).toBe(false);
  });

  it('mentions a fixed batch size', () => {
    expect(checkInputShape(mnist, [1, 1, 28, 28]).message).toContain('its batch dimension is fixed at 1');
  });
});

describe('assertInputShape', () => {
  it('returns the fit or throws DATA_SHAPE_MISMATCH (example in TSDoc)', () => {
    const fit = assertInputShape(mnist, ['N', 784]);
    const ready = fit.kind === 'reshape' ? withSampleShape(mnist, fit.sampleShape) : mnist;
    expect(ready.sampleShape).toEqual([784]);
    let err: unknown;
    try {
      assertInputShape(mnist, ['N', 10]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecateursError);
    expect((err as SecateursError).code).toBe('DATA_SHAPE_MISMATCH');
  });
});
