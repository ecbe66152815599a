import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { inspectFusion } from '../../src/quantize/index.js';

describe('inspectFusion', () => {
  it('reports Q/DQ pairs onnxruntime could not fuse, and weight DequantizeLinear feeding float layers', async () => {
    const b = new GraphBuilder('unfusable');
    const x = b.input('x', 'float32', ['N', 1, 6, 6]);
    const s = b.initializer('s', Tensor.fromArray('float32', [], [0.05]));
    const z = b.initializer('z', Tensor.fromArray('uint8', [], [128]));
    const q = b.op('QuantizeLinear', [x, s, z], {}, { name: 'q' });
    const dq = b.op('DequantizeLinear', [q, s, z], {}, { name: 'dq' });
    const w = b.initializer('w', Tensor.fromArray('int8', [2, 1, 3, 3], new Array<number>(18).fill(3)));
    const wdq = b.op('DequantizeLinear', [w, b.initializer('ws', Tensor.fromArray('float32', [], [0.1]))], {}, { name: 'w_dq' });
    const y = b.op('Softmax', [b.op('Conv', [b.op('Sigmoid', [dq], {}, { name: 'sig' }), wdq], {}, { name: 'conv' })], { axis: 1 }, { name: 'softmax' });
    b.output(y, { name: 'y', dtype: 'float32', shape: ['N', 2, 4, 4] });
    const r = await inspectFusion(b.model(17));
    expect(r.optimization).toBe('extended');
    expect(r.fused).toEqual({});
    expect(r.dangling).toEqual(["QuantizeLinear 'q' → DequantizeLinear 'dq' pair left"]);
    expect(r.weightDequantize).toEqual(["DequantizeLinear 'w_dq' feeds float Conv 'conv'"]);
    expect(r.floatLayers).toEqual(['conv']);
    expect(r.ops['Sigmoid']).toBe(1);
  });
});
