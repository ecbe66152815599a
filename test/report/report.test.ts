import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmtCount, fmtMs, fmtPercent, fmtSize } from '../../src/report/format.js';
import { writeRunRecord } from '../../src/report/run-record.js';
import { loadRunReport } from '../../src/report/run-report.js';
import { writeRunReport, type WrittenReport } from '../../src/report/write.js';
import { cli } from '../cli/helpers.js';
import { HOSTILE, makeSmallRun, writeHostileRun, type SmallRun } from './small-run.js';

let run: SmallRun;
let written: WrittenReport;
let out: string;

beforeAll(async () => {
  run = await makeSmallRun();
  out = await mkdtemp(join(tmpdir(), 'secateurs-report-'));
  written = await writeRunReport(run.dir, { out });
});

afterAll(async () => {
  if (run) await rm(run.dir, { recursive: true, force: true });
  if (out) await rm(out, { recursive: true, force: true });
});

/** The strings a reader must find for each stage: accuracy, nonzero parameters, gzip size, latency at batch 1. */
function stageNumbers(r: SmallRun): string[] {
  return r.record.stages.flatMap((s) => [
    fmtPercent(s.metrics.top1!), fmtCount(s.metrics.nonzero), fmtSize(s.metrics.gzipBytes), fmtMs(s.metrics.latency.find((l) => l.batch === 1)!.medianMs),
  ]);
}

describe('writeRunReport on a real run (LeNet-5: original, prune 80%, structured 50%)', () => {
  it('writes report.html, report.md, report.json and one SVG per chart into --out', () => {
    expect(written.html).toBe(join(out, 'report.html'));
    expect(written.charts.map((c) => c.slice(out.length + 1))).toEqual([
      'report-tradeoff.svg', 'report-relative.svg', 'report-sensitivity-top1.svg', 'report-sparsity.svg', 'report-channels.svg',
    ]);
    for (const c of written.charts) expect(readFileSync(c, 'utf8')).toMatch(/^<svg [^>]*viewBox="0 0 \d+ \d+"/);
    const md = readFileSync(written.markdown, 'utf8');
    for (const c of written.charts) expect(md).toContain(`](${c.slice(out.length + 1)})`);
  });

  it('the HTML is self-contained: no script, stylesheet, font or image is fetched', () => {
    const html = readFileSync(written.html, 'utf8');
    expect(html.match(/<script|<link|<iframe|<object|<embed|@import|url\((?!#)/i)).toBeNull();
    // vega's clip paths, made unique per chart: each reference points at an id in the page.
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [, ref] of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(ref);
    expect(html.match(/\s(src|href|xlink:href)\s*=/i)).toBeNull();
    const urls = new Set(html.match(/https?:\/\/[^\s"'<>)]+/g) ?? []);
    expect([...urls].sort()).toEqual(['http://www.w3.org/1999/xlink', 'http://www.w3.org/2000/svg']);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html.match(/<svg /g)?.length).toBe(written.charts.length);
  });

  it('shows every stage\u2019s accuracy, nonzero parameters, gzip size and latency in HTML and Markdown', () => {
    const html = readFileSync(written.html, 'utf8');
    const md = readFileSync(written.markdown, 'utf8');
    for (const n of stageNumbers(run)) {
      expect(html).toContain(`>${n}<`);
      expect(md).toContain(`| ${n} |`);
    }
  });

  it('shows channels stage by stage, the allocated sparsity, and the blocked group with its reason', () => {
    const html = readFileSync(written.html, 'utf8');
    const md = readFileSync(written.markdown, 'utf8');
    const conv1 = run.record.stages.map((s) => s.layers.find((l) => l.name === 'conv1/Conv')!.channelsAfter);
    expect(conv1[0]).toBe(20);
    expect(conv1[2]).toBeLessThan(20);
    expect(html).toContain(`>${conv1.join(' → ')}<`);
    expect(md).toContain(`| ${conv1.join(' → ')} |`);
    const blocked = run.record.stages[2]!.blocked;
    expect(blocked.map((b) => b.group)).toEqual(['fc2/Gemm']);
    expect(html).toContain(`>${blocked[0]!.reason.replace(/'/g, '&#39;')}<`);
    expect(md).toContain(blocked[0]!.reason);
    const alloc = run.record.sensitivity?.allocation ?? {};
    for (const v of Object.values(alloc)) expect(html).toContain(`>${fmtPercent(v)}<`);
  });

  it('report.json holds the record, the sensitivity read from its file, and figures derived from the record', async () => {
    const json = JSON.parse(readFileSync(written.json, 'utf8')) as typeof written.report;
    expect(json).toEqual(JSON.parse(JSON.stringify(await loadRunReport(run.dir))));
    expect(json.record).toEqual(run.record);
    expect(json.sensitivity?.result.rows).toEqual(run.sensitivity.rows);
    const last = run.record.stages[2]!.metrics;
    const first = run.record.stages[0]!.metrics;
    expect(json.figures[2]).toMatchObject({ compression: last.params / last.nonzero, theoreticalSpeedup: last.macs / last.nonzeroMacs, top1Delta: last.top1! - first.top1! });
    expect(json.figures[2]!.vsOriginal.gzipBytes).toBeCloseTo(last.gzipBytes / first.gzipBytes, 12);
  });

  it('escapes every name and note from the record in HTML and Markdown', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-hostile-'));
    try {
      await writeHostileRun(dir, run);
      const w = await writeRunReport(dir);
      const html = readFileSync(w.html, 'utf8');
      expect(html.match(/<img|<script/i)).toBeNull();
      expect(html).toContain('&lt;img src=x onerror=&quot;document.title=&#39;pwned&#39;&quot;&gt; &amp; &lt;script&gt;');
      const md = readFileSync(w.markdown, 'utf8');
      expect(md.match(/<img|<script/i)).toBeNull();
      expect(md).toContain('&lt;script&gt;window.pwned=1&lt;/script&gt; \\| \\*b\\* \\[l\\](x)');
      // Markdown tables keep their column count: no cell's `|` splits it.
      const stageRows = md.split('\n').filter((l) => l.startsWith('| ') && l.includes('stage 1'));
      expect(stageRows.length).toBeGreaterThan(0);
      const cols = (l: string): number => l.replace(/\\\|/g, '').split('|').length;
      const header = md.split('\n').find((l) => l.startsWith('| Stage | Kind |'))!;
      expect(cols(stageRows[0]!)).toBe(cols(header));
      for (const svg of w.charts) expect(readFileSync(svg, 'utf8').match(/<img|<script/i)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a minimal run', () => {
  it('reports a lone original stage measured without labels or sensitivity, saying what is absent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-minimal-'));
    try {
      const { top1: _t, loss: _l, ...metrics } = run.record.stages[0]!.metrics;
      const { sensitivity: _s, ...rest } = run.record;
      await writeRunRecord(dir, { ...rest, stages: [{ ...run.record.stages[0]!, metrics }] });
      const w = await writeRunReport(dir);
      expect(w.charts.map((c) => c.slice(dir.length + 1))).toEqual(['report-sparsity.svg', 'report-channels.svg']);
      const html = readFileSync(w.html, 'utf8');
      expect(html).toContain('This run recorded no sensitivity analysis.');
      expect(html).toContain('No stage of this run pruned structure (channels, neurons or heads), so no group could be blocked.');
      expect(html).not.toContain('Top-1 accuracy</div>');
      expect(html).toContain(`>${fmtCount(metrics.nonzero)}<`);
      expect(w.report.figures).toEqual([expect.objectContaining({ compression: 1, theoreticalSpeedup: 1 })]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('secateurs report', () => {
  it('writes the report and prints its files and content as JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-report-cli-'));
    try {
      const r = await cli('report', run.dir, '--out', dir, '--json');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.out) as { files: { html: string; charts: string[] }; report: { record: { title: string } } };
      expect(doc.files.html).toBe(join(dir, 'report.html'));
      expect(doc.files.charts).toHaveLength(5);
      expect(doc.report.record.title).toBe(run.record.title);
      const text = await cli('report', run.dir, '--out', dir);
      expect(text.code).toBe(0);
      for (const s of run.record.stages) expect(text.out).toContain(s.name);
      expect(text.out).toContain(`wrote ${join(dir, 'report.html')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 3 naming the file when there is no run.json or it is invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-report-bad-'));
    try {
      const missing = await cli('report', dir);
      expect(missing.code).toBe(3);
      expect(missing.err).toContain(`${join(dir, 'run.json')}': no such file`);
      await writeFile(join(dir, 'run.json'), JSON.stringify({ ...run.record, title: '', stages: [] }));
      const bad = await cli('report', dir);
      expect(bad.code).toBe(3);
      expect(bad.err).toMatch(/is not a valid run record: 2 problems:\n {2}- title: expected a non-empty string, found ""\n {2}- stages: expected at least the 'original' stage, found none/);
      await writeFile(join(dir, 'run.json'), JSON.stringify({ ...run.record, sensitivity: { source: 'file', path: 'gone.json' } }));
      const gone = await cli('report', dir);
      expect(gone.code).toBe(3);
      expect(gone.err).toContain("points to sensitivity results 'gone.json', which cannot be read");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
