import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsEndpoint } from '../../src/loadtest/index.js';
import { CLI } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';

let prosody: ProsodyFixture;
let dir: string;
beforeAll(async () => {
  prosody = await startProsody({ logLevel: 'warn' });
  dir = mkdtempSync(join(tmpdir(), 'aviary-load-live-'));
});
afterAll(async () => {
  await prosody?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('live numbers while a run goes', () => {
  it('serves Prometheus metrics on loopback during the run and prints status lines', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        CLI,
        'bench',
        'load',
        '--domain',
        prosody.domain,
        '--port',
        String(prosody.c2sPort),
        '--tls',
        'off',
        '--users',
        '6',
        '--user-pattern',
        'live{n}',
        '--phase',
        '8s:rate=6',
        '--settle',
        '1s',
        '--param',
        'rate=4',
        '--param',
        'pingEvery=1',
        '--metrics-port',
        String(port),
        '--cleanup',
        '--report',
        join(dir, 'live'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let scraped = '';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .catch(() => '');
      if (/aviary_load_sessions\{state="online"\} 6/.test(text) && /quantile/.test(text)) {
        scraped = text;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const missing = await fetch(`http://127.0.0.1:${port}/other`).then((r) => r.status);
    expect(await exited).toBe(0);
    expect(scraped).toMatch(/aviary_load_logins_total\{result="ok"\} 6/);
    expect(scraped).toMatch(
      /aviary_load_latency_seconds\{transaction="login",quantile="0\.99"\} [\d.e-]+/,
    );
    expect(scraped).toMatch(/aviary_load_messages_total\{direction="sent"\} \d+/);
    expect(missing).toBe(404);
    expect(stderr).toContain(`metrics: http://127.0.0.1:${port}/metrics`);
    // Not a terminal: a status line every 5 s.
    expect(stderr).toMatch(/load \d+\/8 s, phase 1 at 6 logins\/s \| online \d+/);
  }, 120_000);

  it('refuses to serve metrics outside loopback without allowRemote', async () => {
    await expect(
      startMetricsEndpoint({ host: '0.0.0.0', port: 0, render: () => '' }),
    ).rejects.toThrow(/loopback only without --allow-remote/);
  });
});
