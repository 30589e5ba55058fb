/**
 * `aviary mam PROFILE` and `aviary history PROFILE --sync` through a runtime started with
 * `aviary run`, against Prosody with `mod_mam` (offline storage off).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningCli, runCli, startCliRuntime, tempDataDir } from '../helpers/cli.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { waitFor } from '../helpers/wait-for.js';

const alice = { username: 'clialice', password: 'cli-alice-secret' };
const bob = { username: 'clibob', password: 'cli-bob-secret' };

let prosody: ProsodyFixture;
let running: RunningCli | undefined;
const dataDir = tempDataDir('aviary-archive-cli-');

const cli = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(['--data-dir', dataDir, ...args], { env });

async function addProfile(user: { username: string; password: string }) {
  const added = await cli(
    [
      'profile',
      'add',
      user.username,
      '--jid',
      `${user.username}@${prosody.domain}`,
      '--password-env',
      'PW',
      '--server',
      '127.0.0.1',
      '--port',
      String(prosody.c2sPort),
      '--tls',
      'off',
    ],
    { PW: user.password },
  );
  expect({ code: added.code, stderr: added.stderr }).toEqual({ code: 0, stderr: '' });
}

beforeAll(async () => {
  prosody = await startProsody({
    users: [alice, bob],
    modules: ['mam'],
    withoutModules: ['offline'],
  });
  running = await startCliRuntime(dataDir);
  await addProfile(bob);
  await addProfile(alice);
  const online = async (name: string) =>
    JSON.parse((await cli(['--json', 'profile', 'list'])).stdout).some(
      (p: { name: string; state: string }) => p.name === name && p.state === 'online',
    );
  await waitFor(async () => (await online(alice.username)) && (await online(bob.username)), {
    what: 'both profiles online',
    timeoutMs: 30_000,
  });
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await prosody?.stop();
});

it('reads the archive with `aviary mam` and catches up with `history --sync`', async () => {
  const aliceJid = `${alice.username}@${prosody.domain}`;
  const sent = await cli([
    'message',
    'send',
    bob.username,
    aliceJid,
    'archived hello',
    '--type',
    'chat',
  ]);
  expect(sent.code).toBe(0);

  const mam = await cli([
    '--json',
    'mam',
    alice.username,
    '--with',
    `${bob.username}@${prosody.domain}`,
    '--limit',
    '10',
  ]);
  expect(mam.stderr).toBe('');
  const result = JSON.parse(mam.stdout) as { messages: { message: Record<string, string> }[] };
  expect(result.messages.map((m) => Object.values(m.message).join(''))).toContain('archived hello');

  const history = await cli(['--json', 'history', alice.username, '--sync']);
  expect(history.code).toBe(0);
  const rows = JSON.parse(history.stdout) as { message: Record<string, string> }[];
  expect(rows.filter((r) => Object.values(r.message).join('') === 'archived hello')).toHaveLength(
    1,
  );

  const bad = await cli(['mam', alice.username, '--limit', 'lots']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('--limit');
}, 60_000);
