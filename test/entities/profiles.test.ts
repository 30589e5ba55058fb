import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import type { RuntimeEvents } from '../../src/runtime/events.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const users = Array.from({ length: 12 }, (_, i) => ({
  username: `p${i}`,
  password: `secret-password-${i}`,
}));
let prosody: ProsodyFixture;
let runtime: Aviary;

beforeAll(async () => {
  prosody = await startProsody({ users });
  runtime = await startTestRuntime(prosody, { config: { plugins: { enable: ['example-e2ee'] } } });
});
afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

describe('profiles as actors on a real Prosody', () => {
  it('N profiles connect and go online over verified STARTTLS', async () => {
    const states: RuntimeEvents['connectionState'][] = [];
    runtime.events.on('connectionState', (e) => states.push(e));
    for (const user of users.slice(0, 10)) {
      await runtime.addProfile(prosodyAccount(prosody, user.username, user.password));
    }
    await Promise.all(users.slice(0, 10).map((u) => runtime.waitForState(u.username, 'online')));
    expect(runtime.entities().filter((e) => e.state === 'online')).toHaveLength(10);
    const p0 = states.filter((s) => s.name === 'p0').map((s) => s.state);
    expect(p0).toEqual(['connecting', 'online']);
  });

  it('a wrong password ends in auth-failed with the server reason, and is not retried', async () => {
    await runtime.addProfile({ ...prosodyAccount(prosody, 'p10', 'wrong-password'), name: 'bad' });
    const status = await runtime.waitForState('bad', 'auth-failed');
    expect(status.reason).toMatch(/not-authorized|auth/i);
    const attemptsBefore = prosody
      .logTail(400)
      .split('\n')
      .filter((l) => /p10/.test(l) && /fail|auth/i.test(l)).length;
    await new Promise((r) => setTimeout(r, 1500)); // several backoff periods (base 200 ms)
    expect(runtime.entity('bad').state).toBe('auth-failed');
    const attemptsAfter = prosody
      .logTail(400)
      .split('\n')
      .filter((l) => /p10/.test(l) && /fail|auth/i.test(l)).length;
    expect(attemptsAfter).toBe(attemptsBefore);
  });

  it('stores no password in clear text: not in the database files, not in the logs', async () => {
    await runtime.storage.snapshot();
    const files = readdirSync(runtime.dataDir).filter(
      (f) => f.startsWith('snapshot-') || f.startsWith('journal-'),
    );
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = readFileSync(join(runtime.dataDir, file));
      for (const user of users.slice(0, 10))
        expect(bytes.includes(Buffer.from(user.password))).toBe(false);
      expect(bytes.includes(Buffer.from('wrong-password'))).toBe(false);
    }
  });

  it('two profiles exchange messages in two languages with subject and thread; each history holds them once', async () => {
    const received: RuntimeEvents['messageNew'][] = [];
    runtime.events.on('messageNew', (m) => {
      if (m.profile === 'p1' && m.direction === 'in') received.push(m);
    });
    const result = await runtime.sendMessage('p0', {
      to: `p1@${prosody.domain}`,
      message: { en: 'Hello', fr: 'Bonjour' },
      subject: { en: 'Greeting', fr: 'Salutation' },
      thread: 'thread-1',
      threadParent: 'parent-0',
      type: 'chat',
    });
    expect(result.outcome).toBe('sent');
    await waitFor(() => received.length === 1, 10_000);
    const [sent] = await runtime.history('p0', { with: `p1@${prosody.domain}` });
    const [got] = await runtime.history('p1', { with: `p0@${prosody.domain}` });
    expect(sent?.message).toEqual({ en: 'Hello', fr: 'Bonjour' });
    expect(got?.message).toEqual({ en: 'Hello', fr: 'Bonjour' });
    expect(got?.subject).toEqual({ en: 'Greeting', fr: 'Salutation' });
    expect(got?.thread).toEqual({ id: 'thread-1', parentId: 'parent-0' });
    expect(await runtime.history('p0')).toHaveLength(1);
    expect(await runtime.history('p1')).toHaveLength(1);
  });

  it('the client-only e2ee example plugin rewrites client messages (sendMessageData)', async () => {
    const result = await runtime.sendMessage('p2', {
      to: `p3@${prosody.domain}`,
      message: { '': 'marked' },
    });
    expect(result.outcome).toBe('sent');
    if (result.outcome === 'sent') expect(result.message.extra.e2ee).toBe('example');
  });
});
