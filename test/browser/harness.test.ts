import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserSkipReason, findChromium, serveFiles } from './harness.js';
import { ORT_WEB_DIST } from './ort-web.js';

describe('browser test harness', () => {
  it('skips without Chromium only when CI is not set', () => {
    const none = findChromium({ SECATEURS_CHROMIUM: '/nonexistent/chromium' });
    expect(none).toEqual({ executable: undefined, missing: 'SECATEURS_CHROMIUM=/nonexistent/chromium does not exist' });
    expect(browserSkipReason(none, {})).toBe('SECATEURS_CHROMIUM=/nonexistent/chromium does not exist; CI is not set, so browser tests skip (under CI they fail)');
    expect(browserSkipReason(none, { CI: 'true' })).toBeUndefined();
    expect(browserSkipReason({ executable: '/usr/bin/chromium', missing: undefined }, {})).toBeUndefined();
  });

  it('serves documents and folders on 127.0.0.1, confined to each folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-serve-'));
    const server = await serveFiles({ '/': { body: '<p>hi</p>', type: 'text/html' }, '/files/': { dir }, '/ort/': { dir: ORT_WEB_DIST } });
    try {
      await writeFile(join(dir, 'a b.bin'), new Uint8Array([1, 2, 3]));
      expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const page = await fetch(`${server.origin}/`);
      expect([page.status, page.headers.get('content-type'), await page.text()]).toEqual([200, 'text/html', '<p>hi</p>']);
      const bin = await fetch(`${server.origin}/files/a%20b.bin`);
      expect(new Uint8Array(await bin.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
      const wasm = await fetch(`${server.origin}/ort/ort-wasm-simd-threaded.wasm`);
      expect([wasm.status, wasm.headers.get('content-type')]).toEqual([200, 'application/wasm']);
      await wasm.arrayBuffer();
      expect((await fetch(`${server.origin}/files/..%2f..%2fetc%2fpasswd`)).status).toBe(403);
      expect((await fetch(`${server.origin}/files/missing.bin`)).status).toBe(404);
      expect((await fetch(`${server.origin}/other`)).status).toBe(404);
      expect((await fetch(`${server.origin}/favicon.ico`)).status).toBe(204);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
