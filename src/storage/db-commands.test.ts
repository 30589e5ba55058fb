import { mkdtempSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbCheck } from './db-check.js';
import { createRevision, dbDowngrade, dbRecover, dbStatus, dbUpgrade } from './db-commands.js';
import type { StorageOutcome } from './messages.js';
import { StorageEngine } from './storage-engine.js';

const dir = () => mkdtempSync(join(tmpdir(), 'aviary-db-'));
const ok = (o: StorageOutcome | undefined) => {
  if (!o?.ok) throw new Error(JSON.stringify(o));
  return o.value as never;
};

describe('db commands and migrations', () => {
  it('up -> down -> up on a database holding data keeps the data and rebuilds the index', async () => {
    const d = dir();
    const logged: string[] = [];
    let engine = await StorageEngine.open({ dataDir: d, log: (_l, msg) => logged.push(msg) });
    expect(logged.filter((m) => m.startsWith('migration up'))).toEqual([
      'migration up 0001_initial',
      'migration up 0002_full_text',
      'migration up 0003_search_paths',
      'migration up 0004_delivery_receipts',
      'migration up 0005_cluster',
    ]);
    await engine.applyBatch([
      { type: 'profile.create', name: 'alice', jid: 'alice@example.org' },
      {
        type: 'history.add',
        profile: 'alice',
        uid: 'u1',
        from: 'alice@example.org',
        to: 'bob@example.org',
        messageType: 'chat',
        timestamp: 1,
        messages: { '': 'searchable words' },
      },
    ]);
    await engine.close();
    expect(await dbStatus(d)).toMatchObject({
      current: 5,
      migrations: [
        { version: 1, applied: true },
        { version: 2, applied: true },
        { version: 3, applied: true },
        { version: 4, applied: true },
        { version: 5, applied: true },
      ],
    });
    expect((await dbDowngrade(d, 1)).map((r) => [r.name, r.direction, r.status])).toEqual([
      ['0005_cluster', 'down', 'Success'],
      ['0004_delivery_receipts', 'down', 'Success'],
      ['0003_search_paths', 'down', 'Success'],
      ['0002_full_text', 'down', 'Success'],
    ]);
    engine = await StorageEngine.open({ dataDir: d, autoMigrate: false });
    const [noFts, plain] = await engine.applyBatch([
      { type: 'history.query', profile: 'alice', search: 'words' },
      { type: 'history.query', profile: 'alice' },
    ]);
    expect(noFts?.ok).toBe(false);
    expect((ok(plain) as unknown[]).length).toBe(1);
    await engine.close();
    expect((await dbUpgrade(d)).map((r) => r.status)).toEqual([
      'Success',
      'Success',
      'Success',
      'Success',
    ]);
    engine = await StorageEngine.open({ dataDir: d });
    const [found] = await engine.applyBatch([
      { type: 'history.query', profile: 'alice', search: 'words' },
    ]);
    expect(ok(found)).toMatchObject([{ uid: 'u1' }]);
    await engine.close();
    expect((await dbDowngrade(d, 0)).map((r) => r.status)).toEqual([
      'Success',
      'Success',
      'Success',
      'Success',
      'Success',
    ]);
    expect((await dbStatus(d)).current).toBe(0);
    expect((await dbUpgrade(d)).map((r) => r.status)).toEqual([
      'Success',
      'Success',
      'Success',
      'Success',
      'Success',
    ]);
  });

  it('createRevision numbers after the newest file', async () => {
    const migrations = dir();
    writeFileSync(
      join(migrations, '0007_x.ts'),
      'export function up() {}\nexport function down() {}\n',
    );
    writeFileSync(join(migrations, '0007_x.d.ts'), '');
    await expect(createRevision(migrations, 'next one')).resolves.toMatch(/0008_next_one\.ts$/);
  });

  it('a failed migration rolls back, leaves the previous state and is reported', async () => {
    const d = dir();
    const migrations = dir();
    for (const f of ['0001_initial.ts', '0002_full_text.ts']) {
      writeFileSync(
        join(migrations, f),
        readFileSync(new URL(`../../migrations/${f}`, import.meta.url), 'utf8').replaceAll(
          '../src/',
          '../../work/main/src/',
        ),
      );
    }
    const created = await createRevision(migrations, 'Add broken thing!');
    expect(created.endsWith('0003_add_broken_thing.ts')).toBe(true);
    const template = readFileSync(created, 'utf8');
    expect(template).toMatch(/export async function up\(db: MigrationDb\): Promise<void> \{/);
    expect(template).toMatch(/export async function down\(db: MigrationDb\): Promise<void> \{/);
    expect(template).toMatch(/if \(db\.dialect === 'postgres'\)/);
    writeFileSync(
      created,
      "export function up(db) { db.exec('CREATE TABLE half (a)'); db.exec('NOT SQL'); }\nexport function down() {}\n",
    );
    writeFileSync(
      join(migrations, '0004_add_broken_thing.ts'),
      'export function up() {}\nexport function down() {}\n',
    );
    const results = await dbUpgrade(d, undefined, { migrationsDir: migrations });
    expect(results.map((r) => r.status)).toEqual(['Success', 'Success', 'Error', 'NotExecuted']);
    expect(results[2]?.error).toMatch(/syntax error/);
    await expect(
      StorageEngine.open({ dataDir: d, migrationsDir: migrations }),
    ).rejects.toMatchObject({ code: 'storage.migration-failed' });
    const status = await dbStatus(d, { migrationsDir: migrations });
    expect(status.current).toBe(2);
    const engine = await StorageEngine.open({
      dataDir: d,
      autoMigrate: false,
      migrationsDir: migrations,
    });
    const [p] = await engine.applyBatch([{ type: 'profile.list' }]);
    expect(ok(p)).toEqual([]);
    await engine.close();
  });

  it('db status is read-only: every file keeps its bytes, even with a torn journal tail', async () => {
    const d = dir();
    const engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    await engine.applyBatch([{ type: 'profile.create', name: 'a', jid: 'a@example.org' }]);
    await engine.close();
    const journal = readdirSync(d).find((f) => f.startsWith('journal-')) as string;
    writeFileSync(
      join(d, journal),
      Buffer.concat([readFileSync(join(d, journal)), Buffer.from([7, 0, 0])]),
    );
    const files = () =>
      Object.fromEntries(readdirSync(d).map((f) => [f, readFileSync(join(d, f)).toString('hex')]));
    const before = files();
    expect((await dbStatus(d)).current).toBe(5);
    expect(files()).toEqual(before);
    const check = await dbCheck(d);
    expect(files()).toEqual(before);
    expect(check.ok).toBe(true);
    expect(check.items.find((i) => i.check === journal)).toMatchObject({
      status: 'warning',
      detail: expect.stringContaining('record header cut'),
    });
    expect(check.items.find((i) => i.check === 'integrity_check')?.status).toBe('ok');
  });

  it('db check fails on a flipped snapshot byte or a corrupt journal record; db recover repairs', async () => {
    const d = dir();
    const engine = await StorageEngine.open({ dataDir: d });
    await engine.applyBatch([{ type: 'profile.create', name: 'a', jid: 'a@example.org' }]);
    await engine.snapshotNow();
    await engine.applyBatch([{ type: 'profile.create', name: 'b', jid: 'b@example.org' }]);
    await engine.close();
    expect((await dbCheck(d)).ok).toBe(true);
    const snapshots = readdirSync(d)
      .filter((f) => f.startsWith('snapshot-'))
      .sort();
    const newest = snapshots[snapshots.length - 1] as string;
    const bytes = readFileSync(join(d, newest));
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0x04;
    writeFileSync(join(d, newest), bytes);
    const check = await dbCheck(d);
    expect(check.ok).toBe(false);
    expect(check.items.find((i) => i.check === newest)).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('checksum mismatch'),
    });
    expect(check.items.find((i) => i.check === 'load')?.detail).toContain('db recover --from');
    const result = await dbRecover(d);
    expect(result.snapshot).toBe(Number(snapshots[0]?.slice(9, 17)));
    expect(result.notes.join('\n')).toContain(`${newest} not used`);
    expect(readdirSync(d)).toContain(`${newest}.damaged`);
    const after = await dbCheck(d);
    expect(after.ok, JSON.stringify(after.items)).toBe(true);
    const reopened = await StorageEngine.open({ dataDir: d });
    const [list] = await reopened.applyBatch([{ type: 'profile.list' }]);
    expect((ok(list) as { name: string }[]).map((p) => p.name).sort()).toEqual(['a', 'b']);
    await reopened.close();
    // A journal record flipped in the middle is corruption, not a torn write.
    const journal = readdirSync(d)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .pop() as string;
    const j = join(d, journal);
    const engine2 = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    await engine2.applyBatch([{ type: 'profile.create', name: 'c', jid: 'c@example.org' }]);
    await engine2.applyBatch([{ type: 'profile.create', name: 'e', jid: 'e@example.org' }]);
    await engine2.close();
    const jb = readFileSync(j);
    jb[12] = (jb[12] as number) ^ 0xff;
    writeFileSync(j, jb);
    const bad = await dbCheck(d);
    expect(bad.items.find((i) => i.check === journal)?.status).toBe('failed');
    expect(bad.ok).toBe(false);
    unlinkSync(j);
    expect((await dbCheck(d)).items.find((i) => i.check === 'load')?.detail).toContain(
      'journal-missing',
    );
  });
});
