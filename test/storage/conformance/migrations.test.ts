/**
 * Conformance: the numbered revisions run up, down and up again on a store holding data, on
 * both backends; data survives, full text is rebuilt for rows that existed, and the schema
 * reaches 0 and back.
 */
import { expect, it } from 'vitest';
import { describeBackends } from './backends.js';

describeBackends('migrations', (open) => {
  it('up -> down -> up on a store holding data keeps the data and rebuilds the full-text index', async () => {
    const logged: string[] = [];
    let h = await open({ log: (_level, msg) => logged.push(msg) });
    expect(logged.filter((m) => m.startsWith('migration up'))).toEqual([
      'migration up 0001_initial',
      'migration up 0002_full_text',
      'migration up 0003_search_paths',
      'migration up 0004_delivery_receipts',
      'migration up 0005_cluster',
    ]);
    await h.one({ type: 'profile.create', name: 'alice', jid: 'alice@example.org' });
    await h.one({
      type: 'history.add',
      profile: 'alice',
      uid: 'u1',
      from: 'alice@example.org',
      to: 'bob@example.org',
      messageType: 'chat',
      timestamp: 1,
      messages: { '': 'searchable words' },
    });
    await h.one({ type: 'pubsub.node.set', profile: 'alice', service: 's', node: 'n' });
    await h.one({
      type: 'pubsub.items.upsert',
      profile: 'alice',
      service: 's',
      node: 'n',
      items: [
        {
          name: 'i1',
          data: '<entry><title>Caf&amp;e <![CDATA[crème]]> brûlée</title></entry>',
          parsed: { tags: ['a', 'b'], n: 1 },
        },
      ],
    });
    await h.one({
      type: 'pubsub.paths.ensure',
      indexedPaths: [['n']],
      listPaths: [['tags']],
    });
    expect(await h.backend.migrationStatus()).toMatchObject({ applied: [1, 2, 3, 4, 5] });

    expect((await h.backend.migrate(1)).map((r) => [r.name, r.direction, r.status])).toEqual([
      ['0005_cluster', 'down', 'Success'],
      ['0004_delivery_receipts', 'down', 'Success'],
      ['0003_search_paths', 'down', 'Success'],
      ['0002_full_text', 'down', 'Success'],
    ]);
    h = await h.reopen({ autoMigrate: false });
    expect(await h.fail({ type: 'history.query', profile: 'alice', search: 'words' })).toMatch(
      /^storage\./,
    );
    expect(await h.one({ type: 'history.query', profile: 'alice' })).toHaveLength(1);
    expect(
      (await h.one({ type: 'pubsub.items.get', profile: 'alice', service: 's', node: 'n' })).items,
    ).toHaveLength(1);

    expect((await h.backend.migrate()).map((r) => r.status)).toEqual([
      'Success',
      'Success',
      'Success',
      'Success',
    ]);
    h = await h.reopen();
    expect(await h.one({ type: 'history.query', profile: 'alice', search: 'words' })).toMatchObject(
      [{ uid: 'u1' }],
    );
    for (const query of ['crème', 'brûlée', 'caf', 'e']) {
      expect({ query, hits: (await h.one({ type: 'pubsub.items.search', query })).length }).toEqual(
        { query, hits: 1 },
      );
    }
    expect(await h.one({ type: 'pubsub.items.search', query: 'title OR entry OR cdata' })).toEqual(
      [],
    );
    expect(
      (
        await h.one({
          type: 'pubsub.items.search',
          parsed: [{ path: ['tags'], op: 'overlap', value: ['b'] }],
        })
      ).map((i) => i.name),
    ).toEqual(['i1']);

    expect((await h.backend.migrate(0)).map((r) => r.status)).toEqual([
      'Success',
      'Success',
      'Success',
      'Success',
      'Success',
    ]);
    expect((await h.backend.migrationStatus()).applied).toEqual([]);
    expect((await h.backend.migrate()).map((r) => r.status)).toEqual([
      'Success',
      'Success',
      'Success',
      'Success',
      'Success',
    ]);
    expect(await h.one({ type: 'profile.list' })).toEqual([]);
    await h.close();
  });
});
