import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/onnx/index.js';
import { modelStats } from '../../src/metrics/index.js';
import { buildZooModel } from '../../src/zoo/index.js';

/** MACs of torchvision's ResNet-18 counted by hand (convs without bias, the fc), for an even input size. */
function resnet18Macs(h: number, classes: number): number {
  const conv = (cin: number, cout: number, k: number, out: number): number => cout * cin * k * k * out * out;
  let s = h / 2;
  let macs = conv(3, 64, 7, s);
  s /= 2; // max pool 3x3 / 2, pad 1
  let cin = 64;
  [64, 128, 256, 512].forEach((c, i) => {
    if (i > 0) s = Math.ceil(s / 2);
    macs += conv(cin, c, 3, s) + conv(c, c, 3, s) + (i > 0 ? conv(cin, c, 1, s) : 0);
    macs += 2 * conv(c, c, 3, s);
    cin = c;
  });
  return macs + 512 * classes;
}

describe('zoo models', () => {
  it('LeNet-300-100: 266,610 parameters, 266,200 MACs per sample', async () => {
    const s = await modelStats(buildZooModel('lenet-300-100'), { shapes: 'static' });
    expect(s).toMatchObject({ params: 266_610, nonzeroParams: 266_610, paramBytes: 4 * 266_610, buffers: 0, macs: 266_200, flops: 532_400 });
    expect(s.layers.map((l) => l.macs)).toEqual([235_200, 30_000, 1_000]);
    expect(s.unsupported).toEqual([]);
    expect(s.unknownShapes).toEqual([]);
  });

  it('LeNet-5: 431,080 parameters, 2,293,000 MACs per sample, layer by layer', async () => {
    const s = await modelStats(buildZooModel('lenet5'), { shapes: 'static' });
    expect(s.params).toBe(431_080);
    expect(s.macs).toBe(2_293_000);
    const byOp = s.layers.map((l) => [l.opType, l.macs, l.params]);
    expect(byOp).toEqual([
      ['Conv', 20 * 1 * 25 * 24 * 24, 520], ['Conv', 50 * 20 * 25 * 8 * 8, 25_050],
      ['Gemm', 400_000, 400_500], ['Gemm', 5_000, 5_010],
    ]);
    expect(s.layers[0]!.outputShape).toEqual([1, 20, 24, 24]);
  });

  it('BatchNorm running statistics are buffers: params + buffers = the zoo counts', async () => {
    const resnet = await modelStats(buildZooModel('resnet-small'), { shapes: 'static' });
    const mobile = await modelStats(buildZooModel('mobilenetv2-small'), { shapes: 'static' });
    const vit = await modelStats(buildZooModel('vit-tiny'), { shapes: 'static' });
    expect(resnet.params + resnet.buffers).toBe(78_426);
    expect(mobile.params + mobile.buffers).toBe(34_346);
    expect([vit.params, vit.buffers]).toEqual([72_074, 0]);
  });

  it('resnet-small, mobilenetv2-small and vit-tiny MACs equal hand counts', async () => {
    const conv = (cout: number, cinPerGroup: number, k: number, hw: number): number => cout * cinPerGroup * k * k * hw * hw;
    const resnet = [conv(16, 1, 3, 28), 2 * conv(16, 16, 3, 28), conv(32, 16, 3, 14), conv(32, 32, 3, 14), conv(32, 16, 1, 14),
      conv(64, 32, 3, 7), conv(64, 64, 3, 7), conv(64, 32, 1, 7), 64 * 10];
    const mobile = [conv(16, 1, 3, 14), conv(16, 1, 3, 14), conv(16, 16, 1, 14), // stem; block 1 (t = 1)
      conv(64, 16, 1, 14), conv(64, 1, 3, 7), conv(24, 64, 1, 7), conv(96, 24, 1, 7), conv(96, 1, 3, 7), conv(24, 96, 1, 7),
      conv(96, 24, 1, 7), conv(96, 1, 3, 4), conv(32, 96, 1, 4), conv(128, 32, 1, 4), conv(128, 1, 3, 4), conv(32, 128, 1, 4),
      conv(128, 32, 1, 4), 128 * 10]; // head 1x1 conv, fc
    const T = 17, D = 64, F = 128;
    const block = 4 * T * D * D + 2 * T * T * D + 2 * T * D * F; // q, k, v, proj; QKᵀ and AV over 4 heads of 16; FFN
    const vit = [64 * 49 * 16, 2 * block, 64 * 10]; // 7x7/7 patch conv, two blocks, head
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    const got = await Promise.all((['resnet-small', 'mobilenetv2-small', 'vit-tiny'] as const).map((n) => modelStats(buildZooModel(n), { shapes: 'static' })));
    expect(got.map((s) => s.macs)).toEqual([sum(resnet), sum(mobile), sum(vit)]);
    expect(got.map((s) => s.macs)).toEqual([9_345_920, 1_071_136, 1_238_912]);
  });

  it('MACs scale with the batch', async () => {
    const s = await modelStats(buildZooModel('lenet5'), { shapes: 'static', batch: 4 });
    expect(s.macs).toBe(4 * 2_293_000);
    expect(s.layers[0]!.outputShape).toEqual([4, 20, 24, 24]);
  });

  it('static, probe and auto agree', async () => {
    for (const name of ['resnet-small', 'vit-tiny'] as const) {
      const model = buildZooModel(name);
      const [a, b, c] = await Promise.all((['static', 'probe', 'auto'] as const).map((shapes) => modelStats(model, { shapes, batch: 2 })));
      expect(b!.layers).toEqual(a!.layers);
      expect(c!.layers).toEqual(a!.layers);
    }
  });
});

describe('PyTorch fixtures', () => {
  it('mlp: 266,610 parameters, 266,200 MACs', async () => {
    const s = await modelStats(await loadModel('fixtures/pytorch/mlp.onnx'), { shapes: 'static' });
    expect([s.params, s.macs]).toEqual([266_610, 266_200]);
  });

  it('cnn_bn: 26,746 parameters and 48 BatchNorm buffers (as torch counts them)', async () => {
    const s = await modelStats(await loadModel('fixtures/pytorch/cnn_bn.onnx'), { shapes: 'static' });
    expect([s.params, s.buffers]).toEqual([26_746, 48]);
    // conv 8·1·9·28·28 + conv 16·8·9·14·14 + fc 784·32 + fc 32·10
    expect(s.macs).toBe(56_448 + 225_792 + 25_088 + 320);
  });

  it('resnet18 at 64x64: torch params minus folded BN, MACs equal to the hand count', async () => {
    const s = await modelStats(await loadModel('fixtures/pytorch/resnet18.onnx'), { shapes: 'static' });
    // Folding BN into conv replaces gamma+beta (2C) by a conv bias (C): 11,181,642 - 4,800 channels.
    expect(s.params).toBe(11_181_642 - 4_800);
    expect(s.macs).toBe(resnet18Macs(64, 10));
    expect(s.macs).toBe(148_050_944);
  });

  it('resnet18 at 224x224 gives torchvision ResNet-18 MACs (1.814 G with 1000 classes)', async () => {
    const model = await loadModel('fixtures/pytorch/resnet18.onnx');
    model.graph.inputs[0]!.shape = ['N', 3, 224, 224];
    const s = await modelStats(model, { shapes: 'static' });
    expect(s.macs).toBe(resnet18Macs(224, 10));
    expect(s.macs - 512 * 10 + 512 * 1000).toBe(1_814_073_344);
  });

  it('transformer_layer: projections, attention QKᵀ and AV, FFN', async () => {
    const s = await modelStats(await loadModel('fixtures/pytorch/transformer_layer.onnx'), { shapes: 'static' });
    // 33,472 in torch; the exporter deduplicated norm1.bias, norm2.weight, norm2.bias (3 × 64) into Identity nodes.
    expect(s.params).toBe(33_472 - 3 * 64);
    const T = 16, D = 64, H = 4, F = 128;
    const attention = H * T * T * (D / H);
    expect(s.layers.filter((l) => l.weight === undefined).map((l) => l.macs)).toEqual([attention, attention]);
    expect(s.macs).toBe(T * D * 3 * D + 2 * attention + T * D * D + 2 * T * D * F);
  });

  it('convnet_constant: a Constant-node fc weight is a parameter, the traced channel scale is not', async () => {
    const s = await modelStats(await loadModel('fixtures/pytorch/convnet_constant.onnx'), { shapes: 'static' });
    expect(s.params).toBe(690);
    expect(s.macs).toBe(4 * 9 * 8 * 8 + 64 * 10);
  });
});
