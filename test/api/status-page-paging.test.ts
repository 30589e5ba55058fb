/**
 * 10,000 profiles in the store: `GET /profiles` pages and filters them over HTTP, and the status
 * page in a real headless Chromium shows one page at a time, moves between pages and filters by
 * name prefix and state. No XMPP server: profiles point at a closed loopback port and do not
 * autoconnect; connecting one only moves it through connecting/reconnecting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOperation } from '../../src/api/operations.js';
import type { EntityStatus } from '../../src/entities/entity-actor.js';
import { createLogger } from '../../src/log.js';
import { type Aviary, createRuntime } from '../../src/runtime/default-runtime.js';
import { launchChromium } from '../helpers/chromium.js';
import { tempDataDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

const FLEET = 10_000;
const userName = (i: number) => `user${String(i).padStart(5, '0')}`;

describe('10,000 profiles: paged and filtered over HTTP and in the status page', () => {
  let runtime: Aviary;
  let browser: Browser | undefined;
  let token: string;
  let base: string;

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const names = (body: unknown) => (body as EntityStatus[]).map((e) => e.name);

  beforeAll(async () => {
    const dataDir = tempDataDir('aviary-fleet-ui-');
    runtime = createRuntime({
      api: true,
      config: { dataDir, xmpp: { reconnectBaseMs: 200, reconnectMaxMs: 1000 } },
      log: createLogger({ level: 'silent' }),
    });
    await runtime.start();
    token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    base = runtime.apiUrl as string;
    const closedPort = await freePort();
    const row = (name: string) => ({
      name,
      jid: `${name}@localhost`,
      password: `pw-${name}`,
      serverHost: '127.0.0.1',
      serverPort: closedPort,
      tls: 'disabled',
      autoconnect: false,
    });
    const all = [
      ...Array.from({ length: FLEET }, (_, i) => userName(i)),
      'zeta-1',
      'zeta-2',
      'zeta-3',
    ];
    for (let start = 0; start < all.length; start += 1000) {
      const result = await runOperation(runtime, 'profile.import', {
        profiles: all.slice(start, start + 1000).map(row),
      });
      expect(result.failed).toEqual([]);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('GET /profiles pages by name and filters by prefix and state; bad paging is a 400', async () => {
    const first = await get('/profiles?limit=100');
    expect(first.status).toBe(200);
    expect(names(first.body)).toEqual(Array.from({ length: 100 }, (_, i) => userName(i)));
    const next = await get(`/profiles?limit=100&after=${userName(99)}`);
    expect(names(next.body)[0]).toBe(userName(100));
    expect(names(next.body)).toHaveLength(100);
    const last = await get(`/profiles?limit=100&after=${userName(FLEET - 2)}`);
    expect(names(last.body)).toEqual([userName(FLEET - 1), 'zeta-1', 'zeta-2', 'zeta-3']);
    expect(names((await get('/profiles?prefix=zeta')).body)).toEqual([
      'zeta-1',
      'zeta-2',
      'zeta-3',
    ]);
    expect(names((await get('/profiles?prefix=user0999&limit=3')).body)).toEqual([
      'user09990',
      'user09991',
      'user09992',
    ]);
    const everyone = await get('/profiles');
    expect(names(everyone.body)).toHaveLength(FLEET + 3);
    expect((await get('/profiles?state=online')).body).toEqual([]);
    const counts = await get('/profile-counts');
    expect(counts.body).toEqual({
      profiles: { total: FLEET + 3, states: { offline: FLEET + 3 } },
      components: { total: 0, states: {} },
    });
    for (const bad of ['limit=abc', 'limit=0', 'limit=5000', 'state=sleeping', 'colour=red']) {
      const refused = await get(`/profiles?${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(refused.body).toMatchObject({ error: { code: 'api.invalid-request' } });
    }
  });

  it('modifies and exports over HTTP with the rules of add; secrets only when asked', async () => {
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    const modified = await post('/profiles/zeta-3/modify', {
      password: 'new-secret',
      serverPort: 5999,
    });
    expect(modified.status).toBe(200);
    expect(modified.body).toMatchObject({ name: 'zeta-3', state: 'offline' });
    const remote = await post('/profiles/zeta-3/modify', { serverHost: 'example.org' });
    expect(remote.status).toBe(400);
    expect(remote.body).toMatchObject({ error: { code: 'profile.invalid' } });
    const empty = await post('/profiles/zeta-3/modify', {});
    expect(empty.body).toMatchObject({ error: { code: 'api.invalid-request' } });
    const missing = await post('/profiles/nobody/modify', { serverPort: 5 });
    expect(missing.status).toBe(404);

    type Exported = { name: string; serverPort: number | null; password?: string }[];
    const plain = (await post('/profiles/export', {})).body as Exported;
    expect(plain).toHaveLength(FLEET + 3);
    expect(plain.some((p) => 'password' in p)).toBe(false);
    const withSecrets = (await post('/profiles/export', { withSecrets: true })).body as Exported;
    expect(withSecrets.find((p) => p.name === 'zeta-3')).toMatchObject({
      serverPort: 5999,
      password: 'new-secret',
    });
    expect(withSecrets.find((p) => p.name === userName(42))?.password).toBe(`pw-${userName(42)}`);
  });

  it('the status page shows one page at a time, moves between pages and filters', async () => {
    browser ??= await launchChromium();
    const page: Page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const rows = page.locator('#profiles tbody tr');
    const firstName = () => rows.first().getAttribute('data-name');
    await page.goto(`${base}/ui#token=${token}`);

    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(100);
    expect(await firstName()).toBe(userName(0));
    await expect
      .poll(() => page.locator('#profiles-summary').textContent())
      .toBe(`${FLEET + 3} in all: ${FLEET + 3} offline`);
    expect(await page.locator('#profiles-page').textContent()).toMatch(/^rows 1.100$/);
    expect(await page.locator('#profiles-prev').isDisabled()).toBe(true);

    await page.click('#profiles-next');
    await expect.poll(firstName).toBe(userName(100));
    expect(await rows.count()).toBe(100);
    expect(await page.locator('#profiles-page').textContent()).toMatch(/^rows 101.200$/);
    await page.click('#profiles-next');
    await expect.poll(firstName).toBe(userName(200));
    await page.click('#profiles-prev');
    await expect.poll(firstName).toBe(userName(100));
    await page.click('#profiles-prev');
    await expect.poll(firstName).toBe(userName(0));
    expect(await page.locator('#profiles-prev').isDisabled()).toBe(true);

    await page.fill('#profiles-prefix', 'zeta');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await page.locator('#profiles-next').isDisabled()).toBe(true);

    // A state filter: connect one profile (closed port) and show only those reconnecting.
    runtime.connect('zeta-2');
    await expect
      .poll(() => page.locator('#profiles tr[data-name="zeta-2"] td.state').textContent(), {
        timeout: 10_000,
      })
      .toMatch(/^(connecting|reconnecting)$/);
    await page.selectOption('#profiles-state', 'reconnecting');
    await expect
      .poll(
        () =>
          page
            .locator('#profiles tbody tr')
            .evaluateAll((trs) =>
              trs.map((tr) => (tr as { dataset: { name?: string } }).dataset.name),
            ),
        { timeout: 10_000 },
      )
      .toEqual(['zeta-2']);
    await page.fill('#profiles-prefix', '');
    await page.selectOption('#profiles-state', 'offline');
    await expect.poll(() => rows.count()).toBe(100);
    expect(await page.locator('#profiles tr[data-name="zeta-2"]').count()).toBe(0);
    await page.close();
  });
});
