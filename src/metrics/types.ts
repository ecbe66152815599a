/** Where `modelStats` takes shapes from: static inference, an onnxruntime probe run, or static then probe. */
export type ShapeSource = 'static' | 'probe' | 'auto';

/** Options of `modelStats`. */
export interface ModelStatsOptions {
  /**
   * 'static': `inferShapes` only (no onnxruntime; layers with unknown shapes are listed in `unknownShapes`).
   * 'probe': one onnxruntime run exposing every intermediate. 'auto' (default): static, then a probe only when
   * something is left unknown.
   */
  readonly shapes?: ShapeSource;
  /** Size given to every symbolic leading dim of the graph inputs; default 1, so MACs are per sample. */
  readonly batch?: number;
  /** Sizes of other symbolic dims (sequence length...); dims left symbolic are fixed to 1 by a probe. */
  readonly fixedDims?: Readonly<Record<string, number>>;
  /** Also encode the model and report its raw and gzip sizes (`bySize`); default false. */
  readonly fileSize?: boolean;
}

/** Raw and gzip (level 9) byte sizes of an encoded model. */
export interface FileSizes {
  readonly raw: number;
  readonly gzip: number;
}

/** Statistics of one layer: a node that does MACs or owns parameters. */
export interface LayerStats {
  readonly node: string;
  readonly opType: string;
  /** The largest parameter the node owns (its weight), if any. */
  readonly weight: string | undefined;
  /** Elements of the parameters the node owns (weight and bias; shared tensors only at their first reader). */
  readonly params: number;
  readonly nonzero: number;
  /** 1 - nonzero / params (0 when the node owns no parameters). */
  readonly sparsity: number;
  /** Multiply-accumulates for the whole batch. */
  readonly macs: number;
  /** `macs` scaled by the weight's density (nonzero / size); equal to `macs` for layers without a weight. */
  readonly nonzeroMacs: number;
  readonly outputShape: readonly number[] | undefined;
}

/** Parameter, size and compute statistics of a model. */
export interface ModelStats {
  /** Elements of all parameters (see `findParameters` for what counts), each tensor once. */
  readonly params: number;
  readonly nonzeroParams: number;
  /** Bytes of the parameters at their stored dtype (float32: 4 per element, int8: 1). */
  readonly paramBytes: number;
  /** Elements of the buffers (BatchNormalization running mean and variance), not in `params`. */
  readonly buffers: number;
  readonly layers: LayerStats[];
  /** Multiply-accumulates of the linear ops (Conv, ConvTranspose, Gemm, MatMul) for the batch; see the MAC registry. */
  readonly macs: number;
  /** 2 · macs: one multiply and one add per MAC. Other ops count 0, the convention of Torch-Pruning and thop. */
  readonly flops: number;
  /** Σ layer MACs · weight density: the theoretical cost if zero weights were skipped (ShrinkBench). */
  readonly nonzeroMacs: number;
  /** params / nonzeroParams (ShrinkBench's compression ratio). */
  readonly compressionRatio: number;
  /** macs / nonzeroMacs (ShrinkBench's theoretical speedup). */
  readonly theoreticalSpeedup: number;
  /** Nodes ('name (OpType)') whose op has no MAC rule; counted as 0. */
  readonly unsupported: string[];
  /** Nodes whose MACs could not be computed because a shape stayed unknown; counted as 0. */
  readonly unknownShapes: string[];
  readonly bySize?: FileSizes;
}
