import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StorageRequest } from './messages.js';
import { StorageEngine } from './storage-engine.js';

const where = { profile: 'alice', service: 'pubsub.example.org', node: 'blog' };
let engine: StorageEngine | undefined;
let dir: string | undefined;
afterEach(async () => {
  await engine?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  engine = undefined;
  dir = undefined;
});

async function open() {
  dir = mkdtempSync(join(tmpdir(), 'aviary-items-json-'));
  const opened = await StorageEngine.open({ dataDir: dir, snapshotOnClose: false });
  engine = opened;
  const request = async (req: StorageRequest) => {
    const [outcome] = await opened.applyBatch([req]);
    if (outcome === undefined || !outcome.ok) throw new Error(JSON.stringify(outcome));
    return outcome.value;
  };
  await request({ type: 'profile.create', name: 'alice', jid: 'alice@example.org' });
  await request({ type: 'pubsub.node.set', ...where, syncState: 'COMPLETED' });
  return { engine: opened, request };
}

describe('pubsub.items.upsert with parsedJson (JSON text from the parser pool)', () => {
  it('stores the text as the parsed value, beside items given as values', async () => {
    const s = await open();
    await s.request({
      type: 'pubsub.items.upsert',
      ...where,
      items: [
        { name: 'a', data: '<x/>', parsedJson: '{"title":{"text":"A"},"tags":["t"]}' },
        { name: 'b', data: '<y/>', parsed: { title: { text: 'B' } } },
        { name: 'c', data: '<z/>' },
      ],
    });
    const page = (await s.request({ type: 'pubsub.items.get', ...where })) as {
      items: { name: string; parsed: unknown }[];
    };
    expect(page.items.map((i) => [i.name, i.parsed])).toEqual([
      ['a', { title: { text: 'A' }, tags: ['t'] }],
      ['b', { title: { text: 'B' } }],
      ['c', null],
    ]);
    // Searchable like any parsed value.
    const hits = (await s.request({
      type: 'pubsub.items.search',
      parsed: [{ path: ['title', 'text'], op: '==', value: 'A' }],
    })) as { name: string }[];
    expect(hits.map((h) => h.name)).toEqual(['a']);
  });

  it('refuses malformed JSON text and keeps nothing of the request', async () => {
    const s = await open();
    const [outcome] = await s.engine.applyBatch([
      {
        type: 'pubsub.items.upsert',
        ...where,
        items: [
          { name: 'ok', data: '<x/>', parsedJson: '{"fine":true}' },
          { name: 'bad', data: '<y/>', parsedJson: '{"title": ' },
        ],
      },
    ]);
    expect(outcome?.ok).toBe(false);
    expect(JSON.stringify(outcome)).toMatch(/malformed JSON/);
    const page = (await s.request({ type: 'pubsub.items.get', ...where })) as { items: unknown[] };
    expect(page.items).toEqual([]);
  });
});
