import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { type Aviary, createRuntime } from '../../src/runtime/default-runtime.js';
import { launchChromium } from '../helpers/chromium.js';
import { tempDataDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

// The status page in a real headless Chromium against a real runtime with its control API. No
// XMPP server: the profiles point at a closed loopback port, so connecting them only changes
// their state (connecting → reconnecting), which the page must follow from the event stream.

const stateOf = (page: Page, name: string) =>
  page.locator(`#profiles tr[data-name="${name}"] td.state`);

describe('status page in headless Chromium', () => {
  let runtime: Aviary;
  let browser: Browser | undefined;
  // Launched by the first browser test, so a missing Chromium fails each of them (not a skip).
  const newPage = async (options?: Parameters<Browser['newPage']>[0]) => {
    browser ??= await launchChromium();
    return browser.newPage(options);
  };
  let token: string;
  let base: string;

  beforeAll(async () => {
    const dataDir = tempDataDir('aviary-ui-');
    runtime = createRuntime({
      api: true,
      config: { dataDir, xmpp: { reconnectBaseMs: 200, reconnectMaxMs: 1000 } },
      log: createLogger({ level: 'silent' }),
    });
    await runtime.start();
    token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    base = runtime.apiUrl as string;
    const closedPort = await freePort();
    for (const name of ['alice', 'bob']) {
      await runtime.addProfile({
        name,
        jid: `${name}@localhost`,
        password: 'x',
        serverHost: '127.0.0.1',
        serverPort: closedPort,
        tls: 'disabled',
        autoconnect: false,
      });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('renders profiles, follows connection changes live and escapes event text', async () => {
    const page = await newPage({ viewport: { width: 1100, height: 900 } });
    const requests: { url: string; auth: string | undefined }[] = [];
    page.on('request', (r) => requests.push({ url: r.url(), auth: r.headers().authorization }));
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    await page.goto(`${base}/ui#token=${token}`);

    await expect.poll(() => stateOf(page, 'alice').textContent()).toBe('offline');
    await expect.poll(() => stateOf(page, 'bob').textContent()).toBe('offline');
    expect(await page.locator('#profiles tr[data-name="alice"] td').nth(1).textContent()).toBe(
      'alice@localhost',
    );
    // The fragment is dropped from the address bar once the token is in sessionStorage.
    expect(page.url()).toBe(`${base}/ui`);
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    const cacheStatus = (
      await fetch(`${base}/cache/nodes`, { headers: { authorization: `Bearer ${token}` } })
    ).status;
    await expect
      .poll(() => page.locator('#cache-note').textContent())
      .toContain(cacheStatus === 404 ? 'not available' : 'nodes');
    await expect.poll(() => page.locator('#actors tbody tr').count()).toBeGreaterThan(0);

    // Live change: mark the document, connect alice, and see her row change without a reload.
    await page.evaluate(() => {
      (globalThis as Record<string, unknown>).sameDocument = true;
    });
    runtime.connect('alice');
    await expect
      .poll(() => stateOf(page, 'alice').textContent(), { timeout: 10_000 })
      .toMatch(/^(connecting|reconnecting)$/);
    await expect
      .poll(() => stateOf(page, 'alice').textContent(), { timeout: 10_000 })
      .toBe('reconnecting');
    expect(runtime.entity('alice').state).toMatch(/^(connecting|reconnecting)$/);
    expect(await stateOf(page, 'bob').textContent()).toBe('offline');
    expect(await page.evaluate(() => (globalThis as Record<string, unknown>).sameDocument)).toBe(
      true,
    );

    // Event text is shown as text, never parsed as markup.
    const hostile = '<img src=x id=injected><b>boom</b>';
    runtime.events.emit('runtimeError', { source: 'test', message: hostile });
    runtime.events.emit('cacheSyncFailed', {
      profile: 'alice',
      service: 'pubsub.localhost',
      node: 'urn:xmpp:microblog:0',
      reason: 'service-unavailable',
    });
    // alice's refused connection is in the list too (its runtimeError carries the code), so the
    // rows are found by source rather than by position.
    const rowOf = (source: string) =>
      page.locator('#errors tbody tr').filter({
        has: page.locator('td', { hasText: new RegExp(`^${source}$`) }),
      });
    await expect.poll(() => rowOf('test').count()).toBe(1);
    expect(await rowOf('test').locator('td').nth(2).textContent()).toBe(hostile);
    await expect
      .poll(() => page.locator('#errors tbody tr', { hasText: 'urn:xmpp:microblog:0' }).count())
      .toBe(1);
    expect(
      await page.locator('#errors tbody tr', { hasText: 'urn:xmpp:microblog:0' }).textContent(),
    ).toContain('urn:xmpp:microblog:0: service-unavailable');
    expect(await page.locator('#injected, #errors b').count()).toBe(0);

    // The CSP is in force: an injected inline script does not run.
    const ran = await page.evaluate(async () => {
      const g = globalThis as Record<string, unknown>;
      const doc = (g.document as { createElement(t: string): { textContent: string } }) ?? null;
      const script = doc.createElement('script');
      script.textContent = 'globalThis.inlineRan = true';
      (g.document as { body: { append(n: unknown): void } }).body.append(script);
      await new Promise((r) => setTimeout(r, 100));
      return g.inlineRan === true;
    });
    expect(ran).toBe(false);

    // The token travels only in the Authorization header and the EventSource query.
    const withTokenInUrl = requests.filter((r) => r.url.includes(token)).map((r) => r.url);
    expect(withTokenInUrl.length).toBeGreaterThan(0);
    expect(withTokenInUrl.every((u) => new URL(u).pathname === '/events')).toBe(true);
    const apiCalls = requests.filter((r) => /\/(profiles|components|actors|health)$/.test(r.url));
    expect(apiCalls.length).toBeGreaterThan(0);
    expect(apiCalls.every((r) => r.auth === `Bearer ${token}`)).toBe(true);
    expect(requests.every((r) => r.url.startsWith(base))).toBe(true);

    // A folder of its own: concurrent runs must not share a fixed path.
    const shot = join(tempDataDir('aviary-ui-shot-'), 'status-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    // Nothing failed but the missing cache endpoint (and the browser's favicon probe), and the
    // only other console errors are those 404s and the CSP report for the injected script.
    expect(failed.filter((f) => f !== '404 /cache/nodes' && f !== '404 /favicon.ico')).toEqual([]);
    if (cacheStatus === 404) expect(failed).toContain('404 /cache/nodes');
    const unexpected = consoleErrors.filter(
      (m) => !m.includes('Content Security Policy') && !m.includes('status of 404'),
    );
    expect(unexpected).toEqual([]);
    expect(consoleErrors.some((m) => m.includes('Content Security Policy'))).toBe(true);
    await page.close();
  });

  it('shows "unauthorised" and the login form for a wrong token, then logs in', async () => {
    const page = await newPage();
    await page.goto(`${base}/ui#token=not-the-token`);
    await expect.poll(() => page.locator('#login-message').textContent()).toContain('Unauthorised');
    expect(await page.locator('#login').isVisible()).toBe(true);
    expect(await page.locator('#main').isVisible()).toBe(false);
    expect(await page.locator('#profiles tbody tr').count()).toBe(0);
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }
        ).sessionStorage.getItem('aviary.apiToken'),
      ),
    ).toBeNull();

    await page.fill('#token-input', token);
    await page.click('#login button[type=submit]');
    await expect.poll(() => stateOf(page, 'bob').textContent()).toBe('offline');
    expect(await page.locator('#login').isVisible()).toBe(false);
    await page.close();
  });

  it('renders cache nodes and refreshes them after a cacheSynced event', async () => {
    const page = await newPage();
    const nodes = [
      {
        profile: 'alice',
        service: 'pubsub.localhost',
        name: 'urn:xmpp:microblog:0',
        syncState: 'IN_PROGRESS',
        type: 'blog',
        analyser: 'xep-0277',
      },
    ];
    let served = 0;
    await page.route('**/cache/nodes', (route) => {
      served += 1;
      return route.fulfill({ json: nodes });
    });
    await page.goto(`${base}/ui#token=${token}`);
    const syncState = page.locator('#cache tbody tr td.state');
    await expect.poll(() => syncState.textContent()).toBe('IN_PROGRESS');
    expect(await page.locator('#cache').isVisible()).toBe(true);
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    const before = served;
    nodes[0] = { ...(nodes[0] as (typeof nodes)[number]), syncState: 'COMPLETED' };
    runtime.events.emit('cacheSynced', {
      profile: 'alice',
      service: 'pubsub.localhost',
      node: 'urn:xmpp:microblog:0',
      items: 3,
    });
    await expect.poll(() => syncState.textContent()).toBe('COMPLETED');
    expect(served).toBeGreaterThan(before);
    await page.close();
  });

  it('serves the page without a token and the data only with one', async () => {
    const shell = await fetch(`${base}/ui`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-type')).toContain('text/html');
    expect(await shell.text()).not.toContain('alice');
    expect((await fetch(`${base}/profiles`)).status).toBe(401);
  });
});
