import { describe, expect, it } from 'vitest';
import { scopeIds } from '../../src/report/charts.js';
import {
  escapeHtml, escapeMarkdown, fmtCount, fmtLoss, fmtMs, fmtPercent, fmtPoints, fmtRatio, fmtSeconds, fmtSize,
} from '../../src/report/format.js';

describe('report formats', () => {
  it('escape record strings for HTML (content and quoted attributes) and Markdown', () => {
    expect(escapeHtml('conv<1> & "b"')).toBe('conv&lt;1&gt; &amp; &quot;b&quot;');
    expect(escapeHtml("it's")).toBe('it&#39;s');
    expect(escapeMarkdown('a|b <c> *d*')).toBe('a\\|b &lt;c&gt; \\*d\\*');
    expect(escapeMarkdown('x_y [z]\n`w` ~~v~~ &')).toBe('x\\_y \\[z\\] \\`w\\` \\~\\~v\\~\\~ &amp;');
  });

  it('format numbers as the reports show them', () => {
    expect(fmtPercent(0.99216)).toBe('99.22%');
    expect([fmtPoints(-0.0006), fmtPoints(0.001), fmtPoints(0), fmtPoints(-0.00001)]).toEqual(['-0.06 pp', '+0.10 pp', '0.00 pp', '0.00 pp']);
    expect([fmtCount(431080), fmtCount(645549.6)]).toEqual(['431,080', '645,550']);
    expect([fmtSize(512), fmtSize(220_774), fmtSize(1_724_416), fmtSize(3 * 1024 ** 3)]).toEqual(['512 B', '215.6 KiB', '1.64 MiB', '3.00 GiB']);
    expect([fmtMs(0.12345), fmtMs(7.236), fmtMs(123.4)]).toEqual(['0.123 ms', '7.24 ms', '123 ms']);
    expect([fmtRatio(9.93), fmtRatio(250.4), fmtRatio(Infinity)]).toEqual(['9.93x', '250x', '-']);
    expect(fmtSeconds(12.34)).toBe('12.3 s');
    expect(fmtLoss(0.025712)).toBe('0.02571');
  });

  it('scopes SVG ids and their references to one chart', () => {
    const svg = '<clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)"></g>';
    expect(scopeIds(svg, 'sparsity')).toBe('<clipPath id="sparsity-clip1"><rect/></clipPath><g clip-path="url(#sparsity-clip1)"></g>');
  });
});
