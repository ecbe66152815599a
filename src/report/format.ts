/**
 * Number formats and escaping shared by the HTML and Markdown reports, so both show the same text for a value.
 */

/**
 * Escapes text for HTML element content and double- or single-quoted attribute values.
 *
 * @example
 * ```ts
 * escapeHtml('conv<1> & "b"');   // 'conv&lt;1&gt; &amp; &quot;b&quot;'
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for a Markdown table cell or paragraph: HTML-significant characters become entities, Markdown
 * punctuation is backslash-escaped, `|` cannot end the cell, newlines become spaces.
 *
 * @example
 * ```ts
 * escapeMarkdown('a|b <c> *d*');   // 'a\\|b &lt;c&gt; \\*d\\*'
 * ```
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1');
}

/**
 * A fraction as a percentage with two decimals.
 *
 * @example
 * ```ts
 * fmtPercent(0.99216);   // '99.22%'
 * ```
 */
export function fmtPercent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

/**
 * A change of a fraction in percentage points, signed.
 *
 * @example
 * ```ts
 * fmtPoints(-0.0006);   // '-0.06 pp'
 * ```
 */
export function fmtPoints(d: number): string {
  const v = (d * 100).toFixed(2);
  return `${d > 0 && v !== '0.00' ? '+' : ''}${v === '-0.00' ? '0.00' : v} pp`;
}

/**
 * A count, rounded, with thousands separators.
 *
 * @example
 * ```ts
 * fmtCount(431080);   // '431,080'
 * ```
 */
export function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A byte size in B, KiB, MiB or GiB.
 *
 * @example
 * ```ts
 * fmtSize(1_724_416);   // '1.64 MiB'
 * ```
 */
export function fmtSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * Milliseconds with three significant digits.
 *
 * @example
 * ```ts
 * fmtMs(0.12345);   // '0.123 ms'
 * ```
 */
export function fmtMs(ms: number): string {
  return `${ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3)} ms`;
}

/**
 * A ratio such as a compression factor or speedup.
 *
 * @example
 * ```ts
 * fmtRatio(9.93);   // '9.93x'
 * ```
 */
export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(x >= 100 ? 0 : 2)}x` : '-';
}

/**
 * Seconds with one decimal.
 *
 * @example
 * ```ts
 * fmtSeconds(12.34);   // '12.3 s'
 * ```
 */
export function fmtSeconds(s: number): string {
  return `${s.toFixed(1)} s`;
}

/**
 * A loss value with four significant digits.
 *
 * @example
 * ```ts
 * fmtLoss(0.025712);   // '0.02571'
 * ```
 */
export function fmtLoss(x: number): string {
  return x.toPrecision(4);
}
