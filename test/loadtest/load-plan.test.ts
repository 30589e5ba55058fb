import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoadTest } from '../../src/loadtest/index.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';

let prosody: ProsodyFixture;
beforeAll(async () => {
  prosody = await startProsody({ logLevel: 'warn' });
});
afterAll(async () => {
  await prosody?.stop();
});

const idle = {
  name: 'idle',
  async run(session: { think(ms: number): Promise<boolean> }) {
    while (await session.think(500)) {}
  },
};

describe('arrival plans against Prosody', () => {
  it('holds each phase of a three-phase plan to within 10 % of its login rate', async () => {
    const plan = [
      { durationMs: 4000, rate: 10 },
      { durationMs: 4000, rate: 20 },
      { durationMs: 4000, rate: 15 },
    ];
    const report = await startLoadTest({
      target: { host: '127.0.0.1', port: prosody.c2sPort, domain: prosody.domain },
      tls: 'off',
      accounts: { kind: 'pattern', username: 'plan{n}', password: 'pw-{n}', count: 200 },
      sessions: 200,
      phases: plan,
      settleMs: 0,
      scenario: idle,
      cleanup: true,
    }).done;
    expect(report.verdict.passed).toBe(true);
    expect(report.phases).toHaveLength(3);
    report.phases.forEach((phase, i) => {
      const planned = (plan[i] as { rate: number }).rate;
      expect(phase.plannedRate).toBe(planned);
      const measured = phase.measuredRatePerSecond ?? 0;
      expect(Math.abs(measured - planned) / planned, `phase ${i + 1}: ${measured}/s`).toBeLessThan(
        0.1,
      );
    });
    // Every login started in some phase, and the phases add up to what the report counts.
    expect(report.phases.reduce((s, p) => s + p.loginsStarted, 0)).toBe(report.logins.started);
    expect(report.logins.failed).toBe(0);
  }, 120_000);
});

describe('verdict and exit status of aviary bench load', () => {
  it('exits non-zero within seconds with the connection error when the server is down', async () => {
    const port = await freePort(); // nothing listens there
    const started = Date.now();
    const result = await runCli([
      'bench',
      'load',
      '--domain',
      'down.test',
      '--port',
      String(port),
      '--tls',
      'off',
      '--users',
      '50',
      '--duration',
      '5m',
      '--no-progress',
      '--report',
      `${prosody.dataDir}/down`,
    ]);
    // The plan lasts 5 minutes: only the early stop can end the run this soon.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`error xmpp.connection-failed: 127.0.0.1:${port}`);
    expect(result.stderr).toMatch(/ECONNREFUSED/);
    expect(result.stdout).toMatch(/verdict: FAILED/);
  });

  it('exits 3 and names the threshold that failed; the passing one is reported as passed', async () => {
    const result = await runCli([
      'bench',
      'load',
      '--domain',
      prosody.domain,
      '--port',
      String(prosody.c2sPort),
      '--tls',
      'off',
      '--users',
      '4',
      '--user-pattern',
      'thr{n}',
      '--phase',
      '2s:rate=10',
      '--settle',
      '1s',
      '--param',
      'rate=2',
      '--param',
      'peer=paired',
      '--threshold',
      'login.p99<0.001ms',
      '--threshold',
      'errors.rate<50%',
      '--no-progress',
      '--cleanup',
      '--report',
      `${prosody.dataDir}/thr`,
    ]);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/FAIL {2}login\.p99<0\.001ms {2}\(measured \d/);
    expect(result.stdout).toMatch(/pass {2}errors\.rate<50%/);
    expect(result.stderr).toContain('threshold login.p99<0.001ms failed');
    expect(result.stderr).not.toContain('errors.rate<50% failed');
  });
});
