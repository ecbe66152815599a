/**
 * The ONNX codec: the only module that imports the protobuf schema. ModelProto <-> IR Model, tensor codecs, sparse
 * initializers and external data with safe paths.
 */
export { decodeModel, encodeModel, type DecodeOptions, type EncodeOptions } from './model.js';
export { loadModel, saveModel, type ExternalDataOptions, type SaveOptions } from './io.js';
export type { SparseMode } from './plan.js';
