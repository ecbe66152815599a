/**
 * The HTML report of a real run, opened from disk in headless Chromium: it loads with no console error and no request
 * beyond the file itself, every chart is an inline SVG with one mark per data point, and the run's numbers are in the
 * visible text. A record full of markup shows it as text.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fmtCount, fmtMs, fmtPercent, fmtSize } from '../../src/report/format.js';
import { writeRunReport, type WrittenReport } from '../../src/report/write.js';
import { describeInChromium, launchChromium, watchedPage, type WatchedPage } from '../browser/harness.js';
import { HOSTILE, makeSmallRun, writeHostileRun, type SmallRun } from './small-run.js';

describeInChromium('the HTML report in Chromium', () => {
  let browser: Browser;
  let run: SmallRun;
  let report: WrittenReport;
  let hostileDir: string;

  beforeAll(async () => {
    [run, browser] = await Promise.all([makeSmallRun(), launchChromium()]);
    report = await writeRunReport(run.dir);
    hostileDir = await mkdtemp(join(tmpdir(), 'secateurs-hostile-'));
    await writeHostileRun(hostileDir, run);
  });

  afterAll(async () => {
    await browser?.close();
    if (run) await rm(run.dir, { recursive: true, force: true });
    if (hostileDir) await rm(hostileDir, { recursive: true, force: true });
  });

  async function open(file: string): Promise<WatchedPage> {
    const url = pathToFileURL(file).href;
    const w = await watchedPage(browser, [url]);
    await w.page.goto(url);
    return w;
  }

  it('loads offline without errors, draws every chart with its marks, and shows the run\u2019s numbers', async () => {
    const w = await open(report.html);
    expect(w.errors).toEqual([]);
    expect(w.requests).toEqual([pathToFileURL(report.html).href]);
    const { stages, sensitivity } = run.record;
    const count = (sel: string): Promise<number> => w.page.locator(sel).count();
    // One point per stage in each of the three panels (gzip size, latency at batch 1 and at batch 16).
    expect(await count('#chart-tradeoff g.mark-symbol.role-mark path')).toBe(stages.length * 3);
    // Later stages x (nonzero params, nonzero MACs, file size, gzip size, latency b1, latency b16).
    expect(await count('#chart-relative g.mark-rect.role-mark path')).toBe((stages.length - 1) * 6);
    const sens = run.sensitivity;
    expect(await count('#chart-sensitivity-top1 g.mark-line.role-mark path')).toBe(sens.layers.length);
    expect(await count('#chart-sensitivity-top1 g.mark-symbol.role-mark path')).toBe(sens.rows.filter((r) => r.top1 !== null).length);
    expect(await count('#chart-sensitivity-top1 g.mark-rule.role-mark line')).toBe(Object.keys(sensitivity?.allocation ?? {}).length);
    expect(await count('#chart-sparsity g.mark-rect.role-mark path')).toBe(stages.flatMap((s) => s.layers.filter((l) => l.params > 0)).length);
    expect(await count('#chart-channels g.mark-rect.role-mark path')).toBe(stages.flatMap((s) => s.layers.filter((l) => l.channelsAfter !== undefined)).length);
    for (const id of ['tradeoff', 'relative', 'sensitivity-top1', 'sparsity', 'channels']) {
      const box = await w.page.locator(`#chart-${id} svg`).boundingBox();
      expect(box?.width, id).toBeGreaterThan(300);
      expect(box?.height, id).toBeGreaterThan(150);
    }

    const text = await w.page.locator('body').innerText();
    expect(text).toContain(run.record.title);
    for (const s of stages) {
      const m = s.metrics;
      for (const v of [fmtPercent(m.top1!), fmtCount(m.params), fmtCount(m.nonzero), fmtSize(m.gzipBytes), ...m.latency.map((l) => fmtMs(l.medianMs))]) {
        expect(text, `${s.name}: ${v}`).toContain(v);
      }
    }
    expect(text).toContain(stages.map((s) => s.layers.find((l) => l.name === 'conv2/Conv')!.channelsAfter).join(' → '));
    expect(text).toContain(stages[2]!.blocked[0]!.reason);
    for (const v of Object.values(sensitivity?.allocation ?? {})) expect(text).toContain(fmtPercent(v));
    await w.page.close();
  });

  it('shows markup from the record as text: no element is injected, no script runs', async () => {
    const hostile = await writeRunReport(hostileDir);
    const w = await open(hostile.html);
    expect(w.errors).toEqual([]);
    expect(await w.page.evaluate('document.querySelectorAll("img, script, iframe").length')).toBe(0);
    expect(await w.page.evaluate('typeof window.pwned')).toBe('undefined');
    expect(await w.page.title()).toBe(`Title ${HOSTILE}`);
    const text = await w.page.locator('main').innerText();
    expect(text).toContain(`${HOSTILE} stage 1`);
    expect(text).toContain(`because ${HOSTILE}`);
    expect(text).toContain(`${HOSTILE} conv1/Conv`);
    await w.page.close();
  });
});
