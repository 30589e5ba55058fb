/**
 * Fuzzer: storage file damage followed by start-up. A data folder with several snapshot
 * generations, their journals and the manifest is damaged by generated operations (truncate,
 * flip a bit, delete, reorder bytes inside a file, swap two files' contents, put back an older
 * manifest), then opened. The property: start-up never throws anything but a storage
 * `AviaryError` (the process stays up), and if it opens, every acknowledged write is there
 * unless start-up logged the record as dropped — or the damage removed whole records from the
 * end of the newest journal, which leaves nothing on disk to notice (closed journals have their
 * sizes sealed in the manifest; see docs/reliability-storage.md).
 *
 * Bounded time: each property stops after a few seconds. The seed is fixed (FUZZ_SEED
 * overrides it); fast-check prints seed and path on failure, to replay exactly.
 */
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import type { SqlJsStatic } from 'sql.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AviaryError } from '../errors.js';
import { encodeRecord, scanJournal } from './journal.js';
import { MANIFEST_FILE } from './manifest.js';
import { loadSqlJs } from './sql-database.js';
import { StorageEngine } from './storage-engine.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 5_000);

interface Template {
  readonly dir: string;
  readonly files: readonly string[];
  /** Every acknowledged profile name → the journal file and byte offset of its record. */
  readonly acked: ReadonlyMap<string, { file: string; offset: number }>;
  /** Manifests as they were after each snapshot (for "an older manifest is put back"). */
  readonly oldManifests: readonly Buffer[];
}

let sqlJs: SqlJsStatic;
let template: Template;
const scratch: string[] = [];

async function buildTemplate(): Promise<Template> {
  const dir = mkdtempSync(join(tmpdir(), 'aviary-fuzz-template-'));
  const oldManifests: Buffer[] = [];
  const engine = await StorageEngine.open({
    dataDir: dir,
    sqlJs,
    snapshotOnClose: false,
    // Snapshots only when asked (and awaited), so that the template is the same on every run.
    snapshot: { maxJournalBytes: 1 << 30, maxIntervalMs: 3_600_000 },
  });
  for (let i = 0; i < 36; i++) {
    const [out] = await engine.applyBatch([
      { type: 'profile.create', name: `p${i}`, jid: `p${i}@example.org` },
    ]);
    if (!out?.ok) throw new Error(JSON.stringify(out));
    if (i % 9 === 4) {
      await engine.snapshotNow();
      oldManifests.push(readFileSync(join(dir, MANIFEST_FILE)));
    }
  }
  await engine.close();
  const acked = new Map<string, { file: string; offset: number }>();
  const files = readdirSync(dir).sort();
  for (const file of files.filter((f) => f.startsWith('journal-'))) {
    let offset = 0;
    for (const record of scanJournal(new Uint8Array(readFileSync(join(dir, file)))).records) {
      for (const [, params] of record.statements) {
        const name = params.find((p) => typeof p === 'string' && /^p\d+$/.test(p));
        if (typeof name === 'string') acked.set(name, { file, offset });
      }
      offset += encodeRecord(record).length;
    }
  }
  // Names whose journal was already deleted live only in the snapshots.
  for (let i = 0; i < 36; i++) {
    if (!acked.has(`p${i}`)) acked.set(`p${i}`, { file: 'snapshot', offset: 0 });
  }
  return { dir, files, acked, oldManifests };
}

type Damage =
  | { kind: 'truncate'; file: number; at: number }
  | { kind: 'flip'; file: number; at: number; bit: number }
  | { kind: 'delete'; file: number }
  | { kind: 'reorder'; file: number; a: number; b: number; length: number }
  | { kind: 'swap'; file: number; other: number }
  | { kind: 'old-manifest'; which: number };

const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), file: fc.nat(), at: fraction }),
  fc.record({
    kind: fc.constant('flip' as const),
    file: fc.nat(),
    at: fraction,
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), file: fc.nat() }),
  fc.record({
    kind: fc.constant('reorder' as const),
    file: fc.nat(),
    a: fraction,
    b: fraction,
    length: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({ kind: fc.constant('swap' as const), file: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('old-manifest' as const), which: fc.nat() }),
);

function apply(dir: string, files: readonly string[], d: Damage): void {
  const pick = (n: number) => join(dir, files[n % files.length] as string);
  const read = (path: string) => {
    try {
      return readFileSync(path);
    } catch {
      return undefined; // deleted by an earlier operation
    }
  };
  if (d.kind === 'old-manifest') {
    const old = template.oldManifests[d.which % template.oldManifests.length];
    if (old !== undefined) writeFileSync(join(dir, MANIFEST_FILE), old);
    return;
  }
  const path = pick(d.file);
  const bytes = read(path);
  if (bytes === undefined) return;
  if (d.kind === 'truncate')
    writeFileSync(path, bytes.subarray(0, Math.floor(d.at * bytes.length)));
  else if (d.kind === 'delete') unlinkSync(path);
  else if (d.kind === 'flip' && bytes.length > 0) {
    const at = Math.floor(d.at * bytes.length);
    bytes[at] = (bytes[at] as number) ^ (1 << d.bit);
    writeFileSync(path, bytes);
  } else if (d.kind === 'reorder' && bytes.length > 1) {
    const length = Math.min(d.length, Math.floor(bytes.length / 2));
    const a = Math.floor(d.a * (bytes.length - length));
    const b = Math.floor(d.b * (bytes.length - length));
    const chunkA = Buffer.from(bytes.subarray(a, a + length));
    bytes.copy(bytes, a, b, b + length);
    chunkA.copy(bytes, b);
    writeFileSync(path, bytes);
  } else if (d.kind === 'swap') {
    const other = pick(d.other);
    const otherBytes = read(other);
    if (otherBytes === undefined || other === path) return;
    writeFileSync(path, otherBytes);
    writeFileSync(other, bytes);
  }
}

/**
 * True when `file` is the newest journal (the one still open for appends, whose length nothing
 * else records) and is now the original cut exactly at a record boundary at or before `offset`.
 */
function cutAtBoundaryBefore(dir: string, file: string, offset: number): boolean {
  const newest = template.files.filter((f) => f.startsWith('journal-')).pop();
  if (file !== newest) return false;
  let now: Buffer;
  try {
    now = readFileSync(join(dir, file));
  } catch {
    return false;
  }
  const original = readFileSync(join(template.dir, file));
  if (now.length > offset || !original.subarray(0, now.length).equals(now)) return false;
  return scanJournal(new Uint8Array(now)).validBytes === now.length;
}

async function names(engine: StorageEngine): Promise<Set<string>> {
  const [out] = await engine.applyBatch([{ type: 'profile.list' }]);
  if (!out?.ok) throw new Error(JSON.stringify(out));
  return new Set((out.value as { name: string }[]).map((p) => p.name));
}

beforeAll(async () => {
  sqlJs = await loadSqlJs();
  template = await buildTemplate();
}, 60_000);

afterAll(() => {
  for (const dir of [template?.dir, ...scratch])
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('storage damage fuzzer', () => {
  it('the template itself opens with every acknowledged write', async () => {
    expect(template.files.filter((f) => f.startsWith('snapshot-')).length).toBe(2);
    expect(template.files.filter((f) => f.startsWith('journal-')).length).toBeGreaterThan(1);
    const dir = mkdtempSync(join(tmpdir(), 'aviary-fuzz-'));
    scratch.push(dir);
    cpSync(template.dir, dir, { recursive: true });
    const engine = await StorageEngine.open({ dataDir: dir, sqlJs, snapshotOnClose: false });
    expect([...(await names(engine))].sort()).toEqual([...template.acked.keys()].sort());
    await engine.close();
  });

  it('after any damage, start-up refuses with a storage error or loses nothing unannounced', async () => {
    const outcomes = { runs: 0, refused: 0, opened: 0, openedWithLoss: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(damage, { minLength: 1, maxLength: 3 }), async (damages) => {
        outcomes.runs++;
        const dir = mkdtempSync(join(tmpdir(), 'aviary-fuzz-'));
        try {
          cpSync(template.dir, dir, { recursive: true });
          for (const d of damages) apply(dir, template.files, d);
          const dropped: { file: string; offset: number }[] = [];
          let engine: StorageEngine;
          try {
            engine = await StorageEngine.open({
              dataDir: dir,
              sqlJs,
              snapshotOnClose: false,
              log: (_level, msg, fields) => {
                if (msg.includes('dropped')) {
                  dropped.push({
                    file: basename(String(fields?.file)),
                    offset: Number(fields?.offset),
                  });
                }
              },
            });
          } catch (error) {
            // Refused: it must be a storage error that says what is wrong, never a crash.
            expect(error).toBeInstanceOf(AviaryError);
            expect((error as AviaryError).code).toMatch(/^storage\./);
            expect((error as Error).message.length).toBeGreaterThan(10);
            outcomes.refused++;
            return;
          }
          const present = await names(engine);
          await engine.close();
          outcomes.opened++;
          if (present.size < template.acked.size) outcomes.openedWithLoss++;
          for (const [name, where] of template.acked) {
            if (present.has(name)) continue;
            const announced = dropped.some(
              (d) => d.file === where.file && d.offset <= where.offset,
            );
            const leftNoTrace = cutAtBoundaryBefore(dir, where.file, where.offset);
            expect(
              announced || leftNoTrace,
              `${name} (${where.file}@${where.offset}) lost silently`,
            ).toBe(true);
          }
          // A second start sees exactly the same store (recovery cut nothing else).
          const again = await StorageEngine.open({ dataDir: dir, sqlJs, snapshotOnClose: false });
          expect(await names(again)).toEqual(present);
          await again.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { seed: SEED, numRuns: 400, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
    console.log(`storage damage fuzzer (seed ${SEED}): ${JSON.stringify(outcomes)}`);
    expect(outcomes.runs).toBeGreaterThan(5);
  }, 60_000);
});
