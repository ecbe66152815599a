/**
 * The HTML report: one self-contained page (inline CSS and SVG; no script, font, image or stylesheet is fetched, and
 * a Content-Security-Policy of `default-src 'none'` makes the browser refuse any). Every string from the record is
 * escaped; the SVG comes from vega, which escapes the text it draws.
 */
import type { RunChart } from './charts.js';
import { escapeHtml as esc, fmtCount } from './format.js';
import type { RunReport } from './run-report.js';
import { toolInfo } from './run-stage.js';
import {
  blockedTable, fmtCreated, headlines, layersTable, noBlockedText, sensitivityMetric, sensitivityTable, stagesTable, type TableData,
} from './sections.js';

const CSS = `
:root { --fg: #111827; --muted: #4b5563; --faint: #6b7280; --line: #e5e7eb; --bg: #f3f4f6; --head: #0f172a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.wrap { max-width: 1320px; margin: 0 auto; padding: 0 24px; }
header { background: var(--head); color: #f8fafc; padding: 26px 0 64px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 11.5px; color: #93c5fd; font-weight: 600; }
h1 { font-size: 25px; line-height: 1.25; margin: 6px 0 10px; font-weight: 650; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 0; padding: 0; list-style: none; color: #cbd5e1; font-size: 13px; }
.meta b { color: #e2e8f0; font-weight: 600; }
code { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 14px; margin-top: -44px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(15, 23, 42, .06); }
.card .label { font-size: 11.5px; color: var(--faint); text-transform: uppercase; letter-spacing: .05em; font-weight: 600; }
.card .value { font-size: 24px; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.card .detail { font-size: 12.5px; color: var(--muted); overflow-wrap: anywhere; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 20px 20px 8px; margin: 18px 0; }
h2 { font-size: 17px; margin: 0 0 4px; font-weight: 650; }
h3 { font-size: 14px; margin: 18px 0 6px; font-weight: 650; }
.lead { color: var(--muted); margin: 0 0 14px; max-width: 80ch; }
.table-wrap { overflow-x: auto; margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 7px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; vertical-align: top; }
th { font-weight: 600; color: var(--muted); background: #f9fafb; font-size: 11.5px; white-space: normal; vertical-align: bottom; }
td.num, th.num { text-align: right; }
td.wrap-cell { white-space: normal; min-width: 280px; }
tbody tr:hover td { background: #f9fafb; }
figure { margin: 6px 0 22px; }
figure .chart { overflow-x: auto; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; max-width: 90ch; }
.kind { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 11px; font-weight: 600; background: #e0e7ff; color: #3730a3; }
.stage-notes { margin: 0 0 16px; padding: 0; list-style: none; }
.stage-notes > li { padding: 8px 0; border-top: 1px solid var(--line); }
.stage-notes ul { margin: 4px 0 0; padding-left: 20px; color: var(--muted); }
.empty { color: var(--muted); font-style: italic; margin: 0 0 16px; }
footer { color: var(--faint); font-size: 12px; padding: 8px 0 32px; }
@media print { body { background: #fff; } header { padding-bottom: 16px; } .cards { margin-top: 12px; } section { break-inside: avoid; } }
`;

function table(t: TableData, wrapLast = false): string {
  const cls = (i: number): string => {
    const c = [t.numeric[i] ? 'num' : '', wrapLast && i === t.head.length - 1 ? 'wrap-cell' : ''].filter(Boolean).join(' ');
    return c ? ` class="${c}"` : '';
  };
  const head = t.head.map((h, i) => `<th${cls(i)} scope="col">${esc(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
}

function figure(chart: RunChart | undefined): string {
  if (!chart) return '';
  return `<figure id="chart-${chart.id}" aria-label="${esc(chart.title)}"><div class="chart">${chart.svg}</div><figcaption>${esc(chart.caption)}</figcaption></figure>`;
}

function header(report: RunReport): string {
  const r = report.record;
  const meta = [
    ['Created', fmtCreated(r.createdAt)],
    ['Source', r.source.path],
    ['Evaluated on', `${r.data.name}/${r.data.split}, ${fmtCount(r.data.count)} samples`],
    ['Tool', `${r.tool.name} ${r.tool.version}`],
  ];
  return `<header><div class="wrap"><div class="eyebrow">Secateurs run report</div><h1>${esc(r.title)}</h1>
<ul class="meta">${meta.map(([k, v]) => `<li>${esc(k!)}: <b>${k === 'Source' ? `<code>${esc(v!)}</code>` : esc(v!)}</b></li>`).join('')}</ul></div></header>`;
}

function cards(report: RunReport): string {
  const items = headlines(report).map((h) => `<div class="card"><div class="label">${esc(h.label)}</div><div class="value">${esc(h.value)}</div><div class="detail">${esc(h.detail)}</div></div>`);
  return `<div class="cards">${items.join('')}</div>`;
}

function stageNotes(report: RunReport): string {
  const items = report.record.stages.flatMap((s) => {
    const parts = [...(s.model ? [`model file <code>${esc(s.model.path)}</code> (${esc(fmtCount(s.model.bytes))} bytes)`] : []), ...s.notes.map(esc)];
    return parts.length === 0 ? [] : [`<li><b>${esc(s.name)}</b> <span class="kind">${esc(s.kind)}</span><ul>${parts.map((p) => `<li>${p}</li>`).join('')}</ul></li>`];
  });
  if (items.length === 0) return '';
  return `<ul class="stage-notes">${items.join('')}</ul>`;
}

function sensitivitySection(report: RunReport, byId: ReadonlyMap<string, RunChart>): string {
  const s = report.sensitivity;
  const t = sensitivityTable(report);
  if (!s || !t) {
    return '<section id="sensitivity"><h2>Sensitivity</h2><p class="empty">This run recorded no sensitivity analysis.</p></section>';
  }
  const d = s.result.dataset;
  const metric = sensitivityMetric(report) === 'top1' ? 'top-1 accuracy' : 'KL divergence from the dense model';
  return `<section id="sensitivity"><h2>Sensitivity</h2>
<p class="lead">Each layer pruned alone (criterion ${esc(s.result.criterion)}) at each sparsity level, the rest of the model dense; measured on ${esc(d.name)}/${esc(d.split)} (${esc(fmtCount(d.count))} samples)${s.path ? `, from <code>${esc(s.path)}</code>` : ''}. The table shows ${metric}.</p>
${figure(byId.get('sensitivity-top1'))}${figure(byId.get('sensitivity-kl'))}${table(t)}</section>`;
}

/**
 * The whole page. `charts` are those of `renderRunCharts(report)`.
 *
 * @example
 * ```ts
 * const report = await loadRunReport('runs/demo');
 * await writeFile('report.html', renderRunHtml(report, await renderRunCharts(report)));
 * ```
 */
export function renderRunHtml(report: RunReport, charts: readonly RunChart[]): string {
  const byId = new Map(charts.map((c) => [c.id, c]));
  const blocked = blockedTable(report);
  const r = report.record;
  const tool = toolInfo();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="${esc(`${tool.name} ${tool.version}`)}">
<title>${esc(r.title)}</title>
<style>${CSS}</style>
</head>
<body>
${header(report)}
<main class="wrap">
${cards(report)}
<section id="stages"><h2>Stages</h2>
<p class="lead">The model after each stage, measured the same way: accuracy and loss on ${esc(r.data.name)}/${esc(r.data.split)}, parameters and MACs (batch 1) counted from the graph, size of the model encoded densely and gzipped, median onnxruntime CPU latency (1 thread).</p>
${table(stagesTable(report))}${stageNotes(report)}</section>
<section id="tradeoffs"><h2>Accuracy, size and latency</h2>
${figure(byId.get('tradeoff'))}${figure(byId.get('relative'))}${byId.size === 0 ? '<p class="empty">No charts: nothing was measured.</p>' : ''}</section>
${sensitivitySection(report, byId)}
<section id="layers"><h2>Layers</h2>
<p class="lead">Every node that owns parameters or does multiply-accumulates, after each stage.</p>
${figure(byId.get('sparsity'))}${figure(byId.get('channels'))}${table(layersTable(report))}</section>
<section id="blocked"><h2>Blocked structured groups</h2>
${blocked ? `<p class="lead">Coupled channel groups that structured pruning left whole, with the operator that blocks each.</p>${table(blocked, true)}` : `<p class="empty">${esc(noBlockedText(report))}</p>`}</section>
</main>
<footer><div class="wrap">Generated by ${esc(`${tool.name} ${tool.version}`)} from a run record (format version ${esc(String(r.version))}) written by ${esc(`${r.tool.name} ${r.tool.version}`)}. Self-contained: no scripts, nothing loaded from the network.</div></footer>
</body>
</html>
`;
}
