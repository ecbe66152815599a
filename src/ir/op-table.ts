/** A row of an op-keyed rule table: the domain ('' is ai.onnx), op type, and the opset range it applies to. */
export interface OpRow {
  readonly domain: string;
  readonly opType: string;
  /** First opset version of the domain the row applies to. */
  readonly since: number;
  /** Last opset version it applies to (inclusive); open-ended when omitted. */
  readonly until?: number;
}

const normDomain = (domain: string): string => (domain === 'ai.onnx' ? '' : domain);

/**
 * An indexed rule table keyed by domain, op type and opset range — the one lookup behind the shape, MAC and gradient
 * registries: for an op at an opset, the row with the largest `since` not above it (and not past its `until`); with no
 * opset (the model imports none for the domain), the newest row.
 *
 * @example
 * ```ts
 * const table = new OpTable([{ domain: '', opType: 'Squeeze', since: 1 }, { domain: '', opType: 'Squeeze', since: 13 }]);
 * table.find('', 'Squeeze', 11)?.since;   // 1
 * table.find('ai.onnx', 'Squeeze', 17)?.since;   // 13
 * ```
 */
export class OpTable<R extends OpRow> {
  private readonly index = new Map<string, R[]>();

  constructor(rows: readonly R[]) {
    for (const r of rows) {
      const key = `${normDomain(r.domain)}:${r.opType}`;
      const list = this.index.get(key) ?? [];
      list.push(r);
      this.index.set(key, list);
    }
    for (const list of this.index.values()) list.sort((a, b) => b.since - a.since);
  }

  /** The row for `opType` of `domain` at `opset`, or undefined when none applies. */
  find(domain: string, opType: string, opset: number | undefined): R | undefined {
    const list = this.index.get(`${normDomain(domain)}:${opType}`);
    if (!list) return undefined;
    if (opset === undefined) return list[0];
    return list.find((r) => r.since <= opset && (r.until === undefined || opset <= r.until));
  }
}
