import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerBenchLoadCommand } from '../../src/cli/commands/bench-load.js';
import type { LoadReport } from '../../src/loadtest/index.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';

let prosody: ProsodyFixture;
let dir: string;

beforeAll(async () => {
  prosody = await startProsody({ logLevel: 'warn' });
  dir = mkdtempSync(join(tmpdir(), 'aviary-bench-load-'));
});
afterAll(async () => {
  await prosody?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<string> {
  const program = new Command().option('--json').exitOverride();
  registerBenchLoadCommand(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'aviary', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('aviary bench load', () => {
  it('runs the chat example scenario and writes the JSON report and SVG chart', async () => {
    const base = join(dir, 'run1');
    const out = await cli([
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
      '6',
      '--login-rate',
      '30',
      '--duration',
      '3',
      '--settle',
      '3',
      '--scenario',
      'examples/scenarios/chat.ts',
      '--param',
      'rate=5',
      '--param',
      'peer=paired',
      '--param',
      'pingEvery=1',
      '--cleanup',
      '--report',
      base,
    ]);
    const report = JSON.parse(out) as LoadReport & { files: { json: string; svg: string } };
    expect(report.scenario).toBe('chat');
    expect(report.logins.ok).toBe(6);
    expect(report.messages.sent).toBeGreaterThan(10);
    expect(report.messages.received).toBe(report.messages.sent);
    expect(report.latencyMs.iq?.count).toBeGreaterThan(0);
    expect(report.provision?.ok).toBe(6);
    expect(report.cleanup?.ok).toBe(6);
    expect(existsSync(`${base}.svg`)).toBe(true);
    const written = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as LoadReport;
    expect(written.messages.sent).toBe(report.messages.sent);
  }, 60_000);

  it('refuses a non-loopback host unless --allow-remote', async () => {
    await expect(
      cli(['bench', 'load', '--domain', 'example.org', '--host', '203.0.113.5', '--users', '1']),
    ).rejects.toThrow(/only localhost, 127\.0\.0\.0\/8 and ::1/);
  });
});
