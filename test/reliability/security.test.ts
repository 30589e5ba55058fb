/**
 * Security checks: the control API refuses requests without the right token;
 * passwords and secrets appear neither in logs (captured at debug level, no redaction) nor in
 * the database files; TLS certificate verification refuses an untrusted server unless the
 * profile opts out with `verifyTls: false`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { capturingLogger } from '../helpers/reliability.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';

const users = [
  { username: 'sec0', password: 'pw-Sec0-unique-7f3a' },
  { username: 'sec1', password: 'pw-Sec1-unique-9c2b' },
  { username: 'sec2', password: 'pw-Sec2-unique-4d1e' },
];
const componentSecret = 'component-secret-unique-51aa';
const wrongPassword = 'pw-wrong-unique-0b9d';
let prosody: ProsodyFixture;
let runtime: Aviary;
let untrusting: Aviary | undefined;
const captured = capturingLogger('trace');

beforeAll(async () => {
  prosody = await startProsody({ users, componentSecret });
  runtime = await startTestRuntime(prosody, { api: true, log: captured.log });
});
afterAll(async () => {
  await untrusting?.stop();
  await runtime?.stop();
  await prosody?.stop();
});

describe('security', () => {
  it('control API: no token or a wrong token is 401 and changes nothing; the right token works', async () => {
    const base = runtime.apiUrl as string;
    const token = readFileSync(join(runtime.dataDir, 'api-token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(16);
    const body = JSON.stringify({ name: 'intruder', jid: `x@${prosody.domain}`, password: 'x' });
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${token}x` },
      { authorization: token },
      { authorization: `Basic ${Buffer.from(`a:${token}`).toString('base64')}` },
    ];
    for (const headers of attempts) {
      for (const [method, path] of [
        ['GET', '/health'],
        ['GET', '/profiles'],
        ['GET', '/metrics'],
        ['POST', '/profiles'],
      ] as const) {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...headers },
          ...(method === 'POST' ? { body } : {}),
        });
        expect(res.status, `${method} ${path} with ${JSON.stringify(headers)}`).toBe(401);
        await res.arrayBuffer();
      }
    }
    const res = await fetch(`${base}/profiles`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).not.toContain('intruder');
    expect(runtime.entities().map((e) => e.name)).not.toContain('intruder');
  });

  it('passwords and component secrets are in neither the logs nor the database files', async () => {
    for (const u of users)
      await runtime.addProfile(prosodyAccount(prosody, u.username, u.password));
    await runtime.addComponent({
      name: 'comp',
      jid: prosody.componentDomain,
      secret: componentSecret,
      entryPoint: 'echo-bot',
      serverHost: '127.0.0.1',
      serverPort: prosody.componentPort,
    });
    await Promise.all(users.map((u) => runtime.waitForState(u.username, 'online', 20_000)));
    await runtime.waitForState('comp', 'online', 20_000);
    const sent = await runtime.sendMessage('sec0', {
      to: `sec1@${prosody.domain}`,
      message: { '': 'hello' },
    });
    expect(sent.outcome).toBe('sent');
    await runtime.disconnect('sec2');
    runtime.connect('sec2');
    await runtime.waitForState('sec2', 'online', 20_000);
    await runtime.addProfile({
      ...prosodyAccount(prosody, 'sec2', wrongPassword),
      name: 'wrong',
    });
    await runtime.waitForState('wrong', 'auth-failed', 20_000);
    await runtime.storage.snapshot();
    await runtime.sendMessage('sec0', { to: `sec2@${prosody.domain}`, message: { '': 'j' } });

    const secrets = [...users.map((u) => u.password), componentSecret, wrongPassword];
    const logText = captured.lines.join('\n');
    expect(captured.lines.length, 'logs were captured').toBeGreaterThan(0);
    for (const secret of secrets) expect(logText.includes(secret), secret).toBe(false);
    // Base64 forms (SASL PLAIN carries them) must not leak either.
    for (const u of users) {
      const plain = Buffer.from(`\0${u.username}\0${u.password}`).toString('base64');
      expect(logText.includes(plain)).toBe(false);
    }

    const files = readdirSync(runtime.dataDir).filter((f) => !f.endsWith('.pem'));
    expect(files.some((f) => f.startsWith('snapshot-'))).toBe(true);
    expect(files.some((f) => f.startsWith('journal-'))).toBe(true);
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(runtime.dataDir, file));
      } catch {
        continue; // a folder
      }
      for (const secret of secrets) {
        expect(bytes.includes(Buffer.from(secret)), `${secret} in ${file}`).toBe(false);
        expect(bytes.includes(Buffer.from(secret, 'utf16le')), `${secret} in ${file}`).toBe(false);
      }
    }
  });

  it('an untrusted server certificate is refused (reconnecting, certificate reason) unless verifyTls is false', async () => {
    // No tlsCaFile: the test CA is unknown to this runtime.
    untrusting = await startTestRuntime(undefined, {
      config: { xmpp: { reconnectBaseMs: 500, reconnectMaxMs: 2000 } },
    });
    const account = prosodyAccount(prosody, 'sec1', users[1]?.password as string, 'strict');
    await untrusting.addProfile(account);
    const refused = await untrusting.waitForState('strict', 'reconnecting', 20_000);
    expect(refused.reason ?? '').toMatch(/certificate|self[- ]signed|issuer|verify/i);
    await new Promise((r) => setTimeout(r, 1200));
    expect(untrusting.entity('strict').state).not.toBe('online');

    await untrusting.addProfile({ ...account, name: 'lax', verifyTls: false });
    const online = await untrusting.waitForState('lax', 'online', 20_000);
    expect(online.state).toBe('online');
    expect(untrusting.entity('strict').state).not.toBe('online');
  });
});
