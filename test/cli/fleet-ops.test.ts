/**
 * Fleet operations through the built `aviary` binary: `profile import|export|modify`, and
 * `backup` / `restore` round trips (offline and through a running runtime) that must bring
 * back every profile, its history and its password. No network: profiles point at a loopback
 * address and never autoconnect.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime/default-runtime.js';
import { runCli, startCliRuntime, tempDataDir } from '../helpers/cli.js';

const CSV_HEADER = 'name,jid,password,password_env,server,port,tls,autoconnect';

/** A CSV of `n` good profiles (passwords in the file) plus the bad lines given. */
function fleetCsv(n: number, bad: readonly string[] = []): string {
  const rows = Array.from(
    { length: n },
    (_, i) => `p${i},p${i}@example.test,secret-${i},,127.0.0.1,5222,off,false`,
  );
  return `${[CSV_HEADER, ...rows, ...bad].join('\n')}\n`;
}

interface ImportReport {
  dryRun: boolean;
  rows: number;
  imported: number;
  failed: { line: number; name?: string; reason: string; code?: string }[];
}

async function exportCsv(dataDir: string, secrets: boolean) {
  const result = await runCli([
    '--data-dir',
    dataDir,
    'profile',
    'export',
    ...(secrets ? ['--with-secrets'] : []),
  ]);
  expect(result.code, result.stderr).toBe(0);
  return result;
}

describe('aviary profile import / export / modify', () => {
  it('imports good rows, reports each bad one by line and reason, and dry-runs without adding', async () => {
    const dataDir = tempDataDir('aviary-import-');
    const file = join(dataDir, '..', `${dataDir.split('/').pop()}-fleet.csv`);
    writeFileSync(
      file,
      fleetCsv(50, [
        'envrow,envrow@example.test,,ROW_PASSWORD,127.0.0.1,5222,off,false',
        'default,default@example.test,,,127.0.0.1,5222,off,false',
        'bad name,x@example.test,pw,,127.0.0.1,5222,off,false',
        'remote,r@example.org,pw,,,,off,false',
        'p3,p3@example.test,again,,127.0.0.1,5222,off,false',
        'short,line',
        'badport,b@example.test,pw,,127.0.0.1,http,off,false',
      ]),
    );
    const base = ['--data-dir', dataDir, '--json'];
    const env = { ROW_PASSWORD: 'from-row-env', ALL_PASSWORD: 'from-default-env' };

    const dry = await runCli(
      [...base, 'profile', 'import', file, '--dry-run', '--password-env', 'ALL_PASSWORD'],
      { env },
    );
    expect(dry.code).toBe(1);
    const dryReport = JSON.parse(dry.stdout) as ImportReport;
    expect(dryReport).toMatchObject({ dryRun: true, rows: 57, imported: 52 });
    const listed = await runCli([...base, 'profile', 'list']);
    expect(JSON.parse(listed.stdout)).toEqual([]);

    const result = await runCli(
      [...base, 'profile', 'import', file, '--password-env', 'ALL_PASSWORD', '--batch-size', '7'],
      { env },
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as ImportReport;
    expect(report.imported).toBe(52);
    expect(report.failed.map((f) => f.line)).toEqual([54, 55, 56, 57, 58]);
    expect(report.failed[0]).toMatchObject({ name: 'bad name', code: 'api.invalid-request' });
    expect(report.failed[1]?.reason).toMatch(/TLS can be turned off only for a loopback server/);
    expect(report.failed[2]).toMatchObject({ name: 'p3', code: 'storage.profile-exists' });
    expect(report.failed[3]?.reason).toBe('2 fields where the header has 8');
    expect(report.failed[4]?.reason).toMatch(/port must be a number/);
    expect(dryReport.failed).toEqual(report.failed);

    const exported = await exportCsv(dataDir, true);
    expect(exported.stderr).toMatch(/warning: the export holds every password in clear/);
    const lines = exported.stdout.trim().split('\n');
    expect(lines[0]).toBe('name,jid,server,port,tls,autoconnect,password');
    expect(lines).toHaveLength(53);
    expect(lines).toContain('envrow,envrow@example.test,127.0.0.1,5222,off,false,from-row-env');
    expect(lines).toContain(
      'default,default@example.test,127.0.0.1,5222,off,false,from-default-env',
    );
    expect(lines).toContain('p7,p7@example.test,127.0.0.1,5222,off,false,secret-7');

    // Importing the same file again adds nothing and says why for every row.
    const again = await runCli(
      [...base, 'profile', 'import', file, '--password-env', 'ALL_PASSWORD'],
      { env },
    );
    expect((JSON.parse(again.stdout) as ImportReport).imported).toBe(0);
  });

  it('exports without secrets by default, as CSV or JSON lines, and the export imports elsewhere', async () => {
    const source = tempDataDir('aviary-export-');
    const file = join(source, 'fleet.jsonl');
    writeFileSync(
      file,
      `${['{"name":"a","jid":"a@example.test","password":"pa","server":"::1","tls":"off","autoconnect":false}', '{"name":"b","jid":"b@example.test","password":"pb","port":5223,"autoconnect":false}'].join('\n')}\n`,
    );
    expect((await runCli(['--data-dir', source, 'profile', 'import', file])).code).toBe(0);

    const plain = await exportCsv(source, false);
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toBe(
      'name,jid,server,port,tls,autoconnect\na,a@example.test,::1,,off,false\nb,b@example.test,,5223,required,false\n',
    );
    const jsonl = await runCli(['--data-dir', source, 'profile', 'export', '--format', 'jsonl']);
    expect(
      jsonl.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { name: 'a', jid: 'a@example.test', server: '::1', tls: 'off', autoconnect: false },
      { name: 'b', jid: 'b@example.test', port: 5223, tls: 'required', autoconnect: false },
    ]);

    const withSecrets = join(source, 'out.csv');
    const written = await runCli([
      '--data-dir',
      source,
      'profile',
      'export',
      '--with-secrets',
      '-o',
      withSecrets,
    ]);
    expect(written.code).toBe(0);
    const target = tempDataDir('aviary-export-target-');
    expect((await runCli(['--data-dir', target, 'profile', 'import', withSecrets])).code).toBe(0);
    const copied = (await exportCsv(target, true)).stdout;
    expect(copied).toBe(readFileSync(withSecrets, 'utf8'));
    expect(copied).toContain('a,a@example.test,::1,,off,false,pa');
  });

  it('modifies password, server, port and TLS with the same rules as add', async () => {
    const dataDir = tempDataDir('aviary-modify-');
    const base = ['--data-dir', dataDir];
    const file = join(dataDir, 'one.csv');
    writeFileSync(file, fleetCsv(1));
    expect((await runCli([...base, 'profile', 'import', file])).code).toBe(0);

    const changed = await runCli(
      [
        ...base,
        '--json',
        'profile',
        'modify',
        'p0',
        '--password-env',
        'NEW_PW',
        '--port',
        '5999',
        '--tls',
        'required',
      ],
      { env: { NEW_PW: 'changed-password' } },
    );
    expect(changed.code, changed.stderr).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ name: 'p0', state: 'offline' });
    expect((await exportCsv(dataDir, true)).stdout).toContain(
      'p0,p0@example.test,127.0.0.1,5999,required,false,changed-password',
    );

    const remote = await runCli([
      ...base,
      'profile',
      'modify',
      'p0',
      '--server',
      'example.org',
      '--tls',
      'off',
    ]);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toMatch(/TLS can be turned off only for a loopback server/);
    const nothing = await runCli([...base, 'profile', 'modify', 'p0']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/nothing to change/);
    const badTls = await runCli([...base, 'profile', 'modify', 'p0', '--tls', 'maybe']);
    expect(badTls.code).toBe(2);
    const missing = await runCli([...base, 'profile', 'modify', 'nobody', '--port', '5']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/profile\.not-found/);
    // Nothing changed by the refused calls.
    expect((await exportCsv(dataDir, true)).stdout).toContain(
      'p0,p0@example.test,127.0.0.1,5999,required',
    );
  });

  // Their --help is checked with every other command's in profile-cli.test.ts.
  it('usage errors exit 2', async () => {
    const dataDir = tempDataDir('aviary-usage-');
    expect((await runCli(['--data-dir', dataDir, 'profile', 'import', 'x.txt'])).code).toBe(2);
    expect(
      (await runCli(['--data-dir', dataDir, 'profile', 'export', '--format', 'xml'])).code,
    ).toBe(2);
    expect(
      (await runCli(['--data-dir', dataDir, 'profile', 'import', 'x.csv', '--batch-size', '0']))
        .code,
    ).toBe(2);
    const unreadable = await runCli([
      '--data-dir',
      dataDir,
      'profile',
      'import',
      join(dataDir, 'missing.csv'),
    ]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/cannot read .*missing\.csv/);
  });
});

describe('aviary backup / restore', () => {
  it('round-trips profiles, history and passwords offline and through a running runtime', async () => {
    const source = tempDataDir('aviary-backup-src-');
    const csv = join(source, 'fleet.csv');
    writeFileSync(csv, fleetCsv(20));
    expect((await runCli(['--data-dir', source, 'profile', 'import', csv])).code).toBe(0);
    // History written through the library, as a running profile's workflow would.
    const library = createRuntime({
      api: false,
      autoconnect: false,
      config: { dataDir: source },
      log: createLogger({ level: 'silent' }),
    });
    await library.start();
    await library.storage.request({
      type: 'history.add',
      profile: 'p4',
      uid: 'backup-test-1',
      from: 'friend@example.test/phone',
      to: 'p4@example.test',
      messageType: 'chat',
      timestamp: 1_700_000_000,
      messages: { '': 'remember me after a restore' },
    });
    await library.stop();

    const missing = await runCli([
      '--data-dir',
      join(source, 'typo'),
      'backup',
      join(source, 'x.backup'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/holds no Aviary store/);

    // Offline backup (no runtime on the folder).
    const offline = join(tempDataDir('aviary-backup-files-'), 'offline.backup');
    const made = await runCli(['--data-dir', source, '--json', 'backup', offline]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toMatch(/the secret key, which decrypts every stored password/);
    expect(JSON.parse(made.stdout)).toMatchObject({ backend: 'sqljs' });
    expect(readFileSync(offline).subarray(0, 15).toString()).toBe('aviary backup 1');
    const again = await runCli(['--data-dir', source, 'backup', offline]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists; give --yes/);

    const restored = tempDataDir('aviary-backup-restored-');
    const done = await runCli(['--data-dir', restored, 'restore', offline]);
    expect(done.code, done.stderr).toBe(0);

    // A running runtime on the restored folder finds everything; passwords decrypt.
    const running = await startCliRuntime(restored);
    try {
      const listed = await runCli(['--data-dir', restored, '--json', 'profile', 'list']);
      expect((JSON.parse(listed.stdout) as { name: string }[]).map((p) => p.name).sort()).toEqual(
        Array.from({ length: 20 }, (_, i) => `p${i}`).sort(),
      );
      const history = await runCli(['--data-dir', restored, '--json', 'history', 'p4']);
      expect(history.code, history.stderr).toBe(0);
      expect(JSON.parse(history.stdout)).toEqual([
        expect.objectContaining({
          uid: 'backup-test-1',
          message: { '': 'remember me after a restore' },
        }),
      ]);
      const restoredSecrets = await exportCsv(restored, true);
      expect(restoredSecrets.stdout).toContain(
        'p19,p19@example.test,127.0.0.1,5222,off,false,secret-19',
      );

      // Import through the running runtime's API: the new profiles are live at once.
      const more = join(restored, 'more.csv');
      writeFileSync(
        more,
        `${CSV_HEADER}\nlive1,live1@example.test,live-secret,,127.0.0.1,5222,off,false\n`,
      );
      const liveImport = await runCli([
        '--data-dir',
        restored,
        '--json',
        'profile',
        'import',
        more,
      ]);
      expect(liveImport.code, liveImport.stderr).toBe(0);
      expect(JSON.parse(liveImport.stdout)).toMatchObject({ imported: 1, failed: [] });
      const page = await runCli(['--data-dir', restored, '--json', 'profile', 'list']);
      expect(JSON.parse(page.stdout)).toContainEqual(
        expect.objectContaining({ name: 'live1', state: 'offline' }),
      );

      // Backup through the running runtime (a snapshot it writes while it runs).
      const live = join(tempDataDir('aviary-backup-files-'), 'live.backup');
      const liveMade = await runCli(['--data-dir', restored, 'backup', live]);
      expect(liveMade.code, liveMade.stderr).toBe(0);
      const second = tempDataDir('aviary-backup-second-');
      expect((await runCli(['--data-dir', second, 'restore', live])).code).toBe(0);
      const secrets = await exportCsv(restored, true);
      expect(secrets.stdout).toContain(
        'live1,live1@example.test,127.0.0.1,5222,off,false,live-secret',
      );
      expect((await exportCsv(second, true)).stdout).toBe(secrets.stdout);
      const secondHistory = await runCli(['--data-dir', second, '--json', 'history', 'p4']);
      expect(JSON.parse(secondHistory.stdout)).toHaveLength(1);

      // A folder holding a store is not overwritten without --yes (and a running one never).
      const refused = await runCli(['--data-dir', restored, 'restore', live]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/already holds a store .*--yes/);
      const locked = await runCli(['--data-dir', restored, 'restore', live, '--yes']);
      expect(locked.code).toBe(1);
      expect(locked.stderr).toMatch(/runtime\.data-dir-locked|another runtime/);
    } finally {
      await running.stop();
    }

    // A damaged backup is refused before anything is written.
    const bytes = readFileSync(offline);
    bytes[bytes.length - 40] = (bytes[bytes.length - 40] ?? 0) ^ 0xff;
    const damaged = join(tempDataDir('aviary-backup-files-'), 'damaged.backup');
    writeFileSync(damaged, bytes);
    const fresh = tempDataDir('aviary-backup-fresh-');
    const bad = await runCli(['--data-dir', fresh, 'restore', damaged]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/fails its SHA-256 checksum \[backup\.corrupt\]/);
    expect(readdirSync(fresh)).toEqual([]);
  }, 300_000); // about 15 CLI processes and two runtimes: slow on a loaded machine
});
