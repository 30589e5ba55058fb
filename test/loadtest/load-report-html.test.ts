import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LoadReport,
  type Scenario,
  startLoadTest,
  writeLoadReport,
} from '../../src/loadtest/index.js';
import { launchChromium } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';

let prosody: ProsodyFixture;
let dir: string;
beforeAll(async () => {
  prosody = await startProsody({ logLevel: 'warn' });
  dir = mkdtempSync(join(tmpdir(), 'aviary-load-html-'));
});
afterAll(async () => {
  await prosody?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Pings under its own transaction name and chats with its pair. */
const scenario: Scenario = {
  name: 'named-steps',
  async run(session) {
    while (await session.think(150)) {
      await session.transaction('keepalive', () => session.ping());
      const peer = session.pairedPeer();
      if (peer !== undefined) await session.sendChat(peer, 'hi');
    }
  },
};

describe('HTML report', () => {
  it('opens in headless Chromium with every chart drawn, and bench compare prints the differences', async () => {
    const report = await startLoadTest({
      target: { host: '127.0.0.1', port: prosody.c2sPort, domain: prosody.domain },
      tls: 'off',
      accounts: { kind: 'pattern', username: 'html{n}', password: 'pw-{n}', count: 8 },
      sessions: 8,
      phases: [
        { durationMs: 2000, rate: 8 },
        { durationMs: 2000, rate: 8 },
      ],
      settleMs: 2000,
      scenario,
      cleanup: true,
    }).done;
    expect(report.latencyMs.keepalive?.count).toBeGreaterThan(0);
    const paths = writeLoadReport(report, join(dir, 'run'));

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      await page.goto(pathToFileURL(paths.html).href);
      const charts = await page.$$eval('svg.chart', (svgs) =>
        svgs.map((svg) => ({
          title: svg.getAttribute('aria-label'),
          width: svg.getBoundingClientRect().width,
          drawn: [...svg.querySelectorAll('path.series')].filter(
            (p) => (p as unknown as { getTotalLength(): number }).getTotalLength() > 0,
          ).length,
          xAxis: svg.querySelector('.axis-x')?.textContent,
          yAxis: svg.querySelector('.axis-y')?.textContent,
        })),
      );
      const titles = charts.map((c) => c.title);
      for (const t of ['Throughput', 'Sessions online', 'Latency of keepalive over time'])
        expect(titles).toContain(t);
      expect(titles).toContain('Latency of message over time');
      for (const c of charts) {
        expect(c.width, String(c.title)).toBeGreaterThan(0);
        expect(c.xAxis).toBe('time (s)');
        expect(c.yAxis).not.toBe('');
        // Errors may stay at zero (a flat line is still drawn); every chart has its lines.
        expect(c.drawn, String(c.title)).toBeGreaterThan(0);
      }
      expect(await page.textContent('#verdict')).toBe('Verdict: passed');
      expect(requested.every((u) => u.startsWith('file:'))).toBe(true);
    } finally {
      await browser.close();
    }

    const changed: LoadReport = JSON.parse(readFileSync(paths.json, 'utf8'));
    const b = join(dir, 'b.json');
    writeFileSync(
      b,
      JSON.stringify({
        ...changed,
        messages: { ...changed.messages, sent: changed.messages.sent * 2 },
      }),
    );
    const compared = await runCli(['bench', 'compare', paths.json, b]);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toMatch(
      new RegExp(
        `messages\\.sent\\s+messages\\s+${changed.messages.sent}\\s+${changed.messages.sent * 2}\\s+\\+100%`,
      ),
    );
    const refused = await runCli(['bench', 'compare', paths.json, paths.svg]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot read the report/);
  }, 120_000);
});
