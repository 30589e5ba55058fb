import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StorageRequest } from '../../storage/messages.js';
import { StorageEngine } from '../../storage/storage-engine.js';
import {
  type CacheSearchOptions,
  registerCacheSearchCommand,
  searchQueryFromOptions,
} from './cache-search.js';

/** A program shaped like `aviary` with only `cache search`; the action is replaced when `capture`. */
function program(capture?: (o: CacheSearchOptions) => void): Command {
  const root = new Command('aviary')
    .option('-d, --data-dir <dir>')
    .option('--json')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  const cache = root.command('cache');
  registerCacheSearchCommand(cache);
  if (capture) {
    const search = cache.commands.find((c) => c.name() === 'search') as Command;
    search.action((o: CacheSearchOptions) => capture(o));
  }
  return root;
}

async function queryOf(args: string[]) {
  let options: CacheSearchOptions | undefined;
  await program((o) => {
    options = o;
  }).parseAsync(['node', 'aviary', 'cache', 'search', ...args]);
  return searchQueryFromOptions(options as CacheSearchOptions);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('aviary cache search: options', () => {
  it('maps every option onto the storage query', async () => {
    expect(
      await queryOf([
        '--fts',
        'xmpp OR jabber',
        '--profile',
        'alice',
        '--profile',
        'bob',
        '--service',
        'pubsub.x',
        '--node',
        'blog',
        '--type',
        'blog',
        '--type',
        'none',
        '--subtype',
        'none',
        '--name',
        'i1',
        '--parsed',
        'tags[0]',
        'overlap',
        '["a","b"]',
        '--parsed',
        'author.jid',
        '==',
        'a@x',
        '--parsed',
        'n',
        'between',
        '[1, 5]',
        '--order-by',
        'published:desc',
        '--order-by',
        'item',
        '--order-by',
        'rank:asc',
        '--index',
        '2',
        '--limit',
        '10',
        '--with-payload',
      ]),
    ).toEqual({
      query: 'xmpp OR jabber',
      profiles: ['alice', 'bob'],
      services: ['pubsub.x'],
      nodes: ['blog'],
      types: ['blog', null],
      subtypes: [null],
      names: ['i1'],
      parsed: [
        { path: ['tags', 0], op: 'overlap', value: ['a', 'b'] },
        { path: ['author', 'jid'], op: '==', value: 'a@x' },
        { path: ['n'], op: 'between', value: [1, 5] },
      ],
      orderBy: [
        { path: ['published'], order: 'desc' },
        { by: 'item' },
        { by: 'rank', order: 'asc' },
      ],
      index: 2,
      limit: 10,
      withPayload: true,
    });
    expect(await queryOf([])).toEqual({});
    expect(await queryOf(['--parsed', 'n', 'gt', '3'])).toEqual({
      parsed: [{ path: ['n'], op: 'gt', value: 3 }],
    });
    expect(
      await queryOf(['--parsed', 'n', '<', '-1', '--parsed', 'title', 'like', 'a b%']),
    ).toEqual({
      parsed: [
        { path: ['n'], op: '<', value: -1 },
        { path: ['title'], op: 'like', value: 'a b%' },
      ],
    });
  });

  it('rejects bad paths, incomplete filters and bad counts with a message', async () => {
    await expect(queryOf(['--parsed', "a'); DROP TABLE x;--", '==', '1'])).rejects.toThrow(
      /--parsed: bad path/,
    );
    await expect(queryOf(['--parsed', 'a', '=='])).rejects.toThrow(/PATH OP VALUE/);
    await expect(queryOf(['--order-by', 'a..b'])).rejects.toThrow(/--order-by: bad path/);
    await expect(queryOf(['--limit', '-1'])).rejects.toThrow();
    await expect(queryOf(['--index', 'x'])).rejects.toThrow(/--index takes a non-negative integer/);
  });
});

describe('aviary cache search: on a data folder without a running runtime', () => {
  it('opens the folder in-process and prints hits as JSON and as a table', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aviary-cli-search-'));
    const engine = await StorageEngine.open({ dataDir });
    const requests: StorageRequest[] = [
      { type: 'profile.create', name: 'alice', jid: 'alice@example.org' },
      {
        type: 'pubsub.node.set',
        profile: 'alice',
        service: 'pubsub.x',
        node: 'blog',
        nodeType: 'blog',
      },
      {
        type: 'pubsub.items.upsert',
        profile: 'alice',
        service: 'pubsub.x',
        node: 'blog',
        items: [
          {
            name: 'p1',
            data: '<entry>first post</entry>',
            parsed: { tags: ['a'], n: 1 },
            created: 1,
          },
          {
            name: 'p2',
            data: '<entry>second post</entry>',
            parsed: { tags: ['b'], n: 2 },
            created: 2,
          },
        ],
      },
    ];
    for (const outcome of await engine.applyBatch(requests)) expect(outcome.ok).toBe(true);
    await engine.close();
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    await program().parseAsync([
      'node',
      'aviary',
      '--data-dir',
      dataDir,
      '--json',
      'cache',
      'search',
      '--fts',
      'post',
      '--parsed',
      'tags',
      'overlap',
      'b',
      '--with-payload',
    ]);
    expect(JSON.parse(out.join(''))).toMatchObject([
      { name: 'p2', node: 'blog', data: '<entry>second post</entry>', parsed: { n: 2 } },
    ]);
    out.length = 0;
    await program().parseAsync([
      'node',
      'aviary',
      '--data-dir',
      dataDir,
      'cache',
      'search',
      '--order-by',
      'n:desc',
    ]);
    const lines = out.join('').trim().split('\n');
    expect(lines[0]).toMatch(/^PROFILE\s+SERVICE\s+NODE\s+ITEM\s+CREATED\s+UPDATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[3])).toEqual(['p2', 'p1']);
    await expect(
      program().parseAsync([
        'node',
        'aviary',
        '--data-dir',
        dataDir,
        'cache',
        'search',
        '--parsed',
        'n',
        '===',
        '1',
      ]),
    ).rejects.toMatchObject({
      code: 'storage.bad-argument',
      message: expect.stringMatching(/not an operator/),
    });
  }, 60_000);
});
