/**
 * Headless Chromium for tests: find the executable, launch it with flags that keep it off the network, watch a page
 * for console errors, failed and foreign requests, and serve files from a tiny node:http server on 127.0.0.1.
 *
 * Without a Chromium, browser tests skip with the reason, unless the CI environment variable is set: then
 * `launchChromium` throws and they fail, so CI never passes by skipping them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, it } from 'vitest';

/** Where Chromium is looked for, after the SECATEURS_CHROMIUM environment variable. */
export const CHROMIUM_CANDIDATES: readonly string[] = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

/** Flags: headless, no sandbox (containers), and none of Chromium's own background traffic. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** The executable found, or why there is none. */
export interface ChromiumStatus {
  readonly executable: string | undefined;
  readonly missing: string | undefined;
}

/** Looks for Chromium: SECATEURS_CHROMIUM, then {@link CHROMIUM_CANDIDATES}. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumStatus {
  const fromEnv = env.SECATEURS_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? { executable: fromEnv, missing: undefined } : { executable: undefined, missing: `SECATEURS_CHROMIUM=${fromEnv} does not exist` };
  const found = CHROMIUM_CANDIDATES.find((p) => existsSync(p));
  return found ? { executable: found, missing: undefined } : { executable: undefined, missing: `no Chromium executable (looked for ${CHROMIUM_CANDIDATES.join(', ')}; SECATEURS_CHROMIUM not set)` };
}

export const CHROMIUM = findChromium();

/** Why browser tests skip here, or undefined when they run (Chromium found, or CI set so they must run). */
export function browserSkipReason(status: ChromiumStatus = CHROMIUM, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return status.executable || env.CI ? undefined : `${status.missing}; CI is not set, so browser tests skip (under CI they fail)`;
}

/**
 * `describe` for tests that need Chromium: without one (and CI unset) the suite is one skipped test whose title
 * gives the reason, also printed as a warning.
 */
export function describeInChromium(title: string, body: () => void): void {
  const reason = browserSkipReason();
  if (reason === undefined) {
    describe(title, body);
    return;
  }
  console.warn(`[browser tests] ${title}: skipped: ${reason}`);
  describe(title, () => {
    it.skip(`skipped: ${reason}`, () => undefined);
  });
}

/** Launches headless Chromium; throws with the reason (and how to fix it) when there is none. */
export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM.executable) {
    throw new Error(`${CHROMIUM.missing}. CI is set, so browser tests fail instead of skipping: install Chromium (apt-get install chromium) or set SECATEURS_CHROMIUM.`);
  }
  return chromium.launch({ executablePath: CHROMIUM.executable, args: [...CHROMIUM_ARGS], timeout: 30_000 });
}

/** A page with everything that went wrong on it recorded. */
export interface WatchedPage {
  readonly page: Page;
  /** Console errors, uncaught exceptions, failed requests. */
  readonly errors: string[];
  /** Every URL the page requested, in order (blocked ones included). */
  readonly requests: string[];
  /** Requests outside the allowed origins; they were aborted. */
  readonly blocked: string[];
}

/**
 * Opens a page that may fetch only from `allowed` URL prefixes (and `data:`); anything else is aborted and listed in
 * `blocked`, so a test can prove a page needs no network.
 */
export async function watchedPage(browser: Browser, allowed: readonly string[], viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport });
  const w: WatchedPage = { page, errors: [], requests: [], blocked: [] };
  page.on('console', (m) => { if (m.type() === 'error') w.errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => w.errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => { if (!w.blocked.includes(r.url())) w.errors.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`); });
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    w.requests.push(url);
    if (url.startsWith('data:') || allowed.some((p) => url.startsWith(p))) return route.continue();
    w.blocked.push(url);
    return route.abort('blockedbyclient');
  });
  return w;
}

/** A folder served under a URL prefix, or one fixed document. */
export type Route = { readonly dir: string } | { readonly body: string | Uint8Array; readonly type: string };

/** A running server. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly origin: string;
  close(): Promise<void>;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.onnx': 'application/octet-stream', '.bin': 'application/octet-stream', '.svg': 'image/svg+xml',
};

async function answer(routes: Readonly<Record<string, Route>>, pathname: string): Promise<{ status: number; type: string; body: string | Uint8Array }> {
  const exact = routes[pathname];
  if (exact && 'body' in exact) return { status: 200, type: exact.type, body: exact.body };
  const prefix = Object.keys(routes).filter((p) => p.endsWith('/') && pathname.startsWith(p)).sort((a, b) => b.length - a.length)[0];
  const route = prefix !== undefined ? routes[prefix] : undefined;
  if (prefix === undefined || !route || !('dir' in route)) return { status: 404, type: 'text/plain', body: 'not found' };
  const root = resolve(route.dir);
  const file = resolve(root, decodeURIComponent(pathname.slice(prefix.length)));
  if (!file.startsWith(root + sep)) return { status: 403, type: 'text/plain', body: 'outside the served folder' };
  try {
    return { status: 200, type: TYPES[extname(file)] ?? 'application/octet-stream', body: await readFile(file) };
  } catch {
    return { status: 404, type: 'text/plain', body: 'not found' };
  }
}

/**
 * Serves `routes` on 127.0.0.1 at an ephemeral port: keys ending in `/` map a URL prefix to a folder (paths confined
 * to it), other keys serve one document. `/favicon.ico` answers 204 so pages log no 404.
 *
 * @example
 * ```ts
 * const server = await serveFiles({ '/': { body: html, type: 'text/html' }, '/ort/': { dir: ORT_WEB_DIST } });
 * await page.goto(`${server.origin}/`);
 * ```
 */
export async function serveFiles(routes: Readonly<Record<string, Route>>): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    answer(routes, pathname).then(
      (a) => res.writeHead(a.status, { 'content-type': a.type, 'cache-control': 'no-store' }).end(a.body),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e)),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
