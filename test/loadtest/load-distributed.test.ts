import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadReport } from '../../src/loadtest/index.js';
import { CLI, runCli } from '../helpers/cli.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';

const SCENARIO = fileURLToPath(
  new URL('../../dist/test/loadtest/fixtures/fixed-chat.js', import.meta.url),
);
const USERS = 12;
const TOKEN = 'test-token-0123456789';
let prosody: ProsodyFixture;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  prosody = await startProsody({ logLevel: 'warn' });
  dir = mkdtempSync(join(tmpdir(), 'aviary-load-dist-'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await prosody?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The same run, whatever generates it: `prefix` keeps each run's accounts apart. */
const runArgs = (prefix: string, phase: string) => [
  '--json',
  'bench',
  'load',
  '--domain',
  prosody.domain,
  '--port',
  String(prosody.c2sPort),
  '--tls',
  'off',
  '--users',
  String(USERS),
  '--user-pattern',
  `${prefix}{n}`,
  '--phase',
  phase,
  '--settle',
  '3s',
  '--scenario',
  SCENARIO,
  '--cleanup',
  '--no-progress',
  '--report',
  join(dir, prefix),
];

function start(args: readonly string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

async function controllerWithWorkers(prefix: string, phase: string, workers: number) {
  const port = await freePort();
  const controller = start([
    ...runArgs(prefix, phase),
    '--controller',
    '--workers',
    String(workers),
    '--listen',
    `127.0.0.1:${port}`,
    '--token',
    TOKEN,
  ]);
  await waitForPort(port, 30_000, () => controller.child.exitCode === null);
  const generators = Array.from({ length: workers }, () =>
    start(['bench', 'worker', '--controller', `tcp://127.0.0.1:${port}`, '--token', TOKEN]),
  );
  return { controller, generators };
}

describe('distributed load generation', () => {
  it('a controller with three workers gives the same totals as one process for the same plan', async () => {
    // 12 logins at 12/s need 1 s; the 6 s phase leaves room for a loaded machine to finish them.
    const single = await runCli(runArgs('one', '6s:rate=12'));
    expect(single.code, single.stderr).toBe(0);
    const alone = JSON.parse(single.stdout) as LoadReport;

    const { controller, generators } = await controllerWithWorkers('multi', '6s:rate=12', 3);
    const code = await controller.exited;
    expect(code, controller.stderr()).toBe(0);
    for (const g of generators) expect(await g.exited, g.stderr()).toBe(0);
    const merged = JSON.parse(controller.stdout()) as LoadReport;

    expect(alone.logins.ok).toBe(USERS);
    expect(alone.messages.sent).toBe(3 * USERS);
    for (const report of [alone, merged]) {
      expect(report.logins.ok).toBe(USERS);
      expect(report.logins.failed).toBe(0);
      expect(report.sessions.peakOnline).toBe(USERS);
      expect(report.messages.sent).toBe(3 * USERS);
      expect(report.messages.received).toBe(3 * USERS);
      expect(report.latencyMs.message?.count).toBe(3 * USERS);
      expect(report.latencyMs.iq?.count).toBe(USERS);
      expect(report.latencyMs.login?.count).toBe(USERS);
      expect(report.errors).toEqual({});
      expect(report.provision?.ok).toBe(USERS);
      expect(report.cleanup?.ok).toBe(USERS);
    }
    expect(merged.generators?.map((g) => [g.status, g.accounts])).toEqual([
      ['finished', 4],
      ['finished', 4],
      ['finished', 4],
    ]);
    expect(controller.stderr()).toMatch(/all 3 workers ready: go/);
  }, 180_000);

  it('reports a worker that dies, with its slice, and fails the verdict', async () => {
    const { controller, generators } = await controllerWithWorkers('kill', '8s:rate=12', 3);
    const deadline = Date.now() + 60_000;
    while (!/ready: go/.test(controller.stderr()) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    generators[1]?.child.kill('SIGKILL');
    const code = await controller.exited;
    expect(code).toBe(3);
    expect(controller.stderr()).toMatch(/worker w\d \(slice \d\/3, 4 accounts\) LOST/);
    const report = JSON.parse(controller.stdout()) as LoadReport;
    const lost = report.generators?.filter((g) => g.status === 'lost') ?? [];
    expect(lost).toHaveLength(1);
    expect(lost[0]?.accounts).toBe(4);
    expect(report.verdict.passed).toBe(false);
    expect(report.verdict.failures.join('\n')).toMatch(
      /generator w\d \(slice \d\/3, 4 accounts\) was lost/,
    );
    expect(report.errors['generator-lost']).toBe(1);
    // The survivors finished their own slices.
    expect(report.generators?.filter((g) => g.status === 'finished')).toHaveLength(2);
  }, 180_000);
});
