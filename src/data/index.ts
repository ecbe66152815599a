/**
 * Datasets for pruning and fine-tuning: IDX (MNIST), Fashion-MNIST, `.npy`/`.npz`, seeded splits and batching,
 * and a check that samples fit a model input.
 */
export type { Dataset, Normalization, BuiltinSplit, ImageLoadOptions, DataErrorCode } from './types.js';
export { shapeSize, sampleSize } from './types.js';
export { readIdx, parseIdx } from './idx.js';
export type { IdxArray, IdxData, IdxDtype, IdxExpectation } from './idx.js';
export { MNIST_STATS, FASHION_MNIST_STATS, pixelsToFloat } from './normalize.js';
export type { PixelStats } from './normalize.js';
export { loadMnist } from './mnist.js';
export type { MnistOptions } from './mnist.js';
export { loadFashionMnist, FASHION_MNIST_CLASSES, FASHION_PER_CLASS, FASHION_TEST_PER_CLASS } from './fashion.js';
export type { FashionMnistOptions } from './fashion.js';
export { cacheDirs } from './cache.js';
export { decodeNpy, encodeNpy, readNpy, writeNpy } from './npy.js';
export type { NpyArray, NpyData, NpyDataMap, NpyDtype } from './npy-dtypes.js';
export { float16ToNumber, numberToFloat16, toFloat32, toLabels } from './npy-convert.js';
export { decodeNpz, encodeNpz, readNpz, writeNpz } from './npz.js';
export type { NpzArrays, NpzContents, NpzWriteOptions } from './npz.js';
export { loadNpzDataset } from './npz-dataset.js';
export type { NpzDatasetOptions } from './npz-dataset.js';
export { loadDataset, BUILTIN_DATASETS } from './load.js';
export type { LoadDatasetOptions } from './load.js';
export { subset, take, splitTrainVal, indicesByClass } from './split.js';
export type { SplitOptions, TrainValSplit } from './split.js';
export { batches, batchCount, checkShift, epochOrder, shapeFor } from './batch.js';
export type { Batch, BatchOptions } from './batch.js';
export { withSampleShape, checkInputShape, assertInputShape } from './shape.js';
export type { InputShapeCheck, ModelDim } from './shape.js';
