/**
 * Conformance: every storage message family keeps its meaning, results and error codes on
 * both backends (profiles, components, parameters, private values, history, pubsub nodes and
 * items, search basics).
 */
import { expect, it } from 'vitest';
import { type StorageRequest, unwrapOutcome } from '../../../src/storage/messages.js';
import { describeBackends } from './backends.js';

describeBackends('storage messages', (open) => {
  async function setup() {
    const h = await open({ clockStart: 5_000 });
    const { one, fail, clock } = h;
    await one({
      type: 'profile.create',
      name: 'alice',
      jid: 'alice@example.org',
      autoconnect: true,
      serverHost: '127.0.0.1',
      serverPort: 5222,
    });
    await one({ type: 'profile.create', name: 'bob', jid: 'bob@example.org' });
    return { engine: h.backend, clock, one, fail };
  }

  it('pubsub items: parsed values given as JSON text are stored as is; malformed text is refused', async () => {
    const { one, fail } = await setup();
    const where = { profile: 'alice', service: 's1', node: 'json' } as const;
    await one({ type: 'pubsub.node.set', ...where, syncState: 'COMPLETED' });
    await one({
      type: 'pubsub.items.upsert',
      ...where,
      items: [
        { name: 'a', data: '<a/>', parsedJson: '{"title":{"text":"A"},"n":1}' },
        { name: 'b', data: '<b/>', parsed: { n: 2 } },
      ],
    });
    expect(
      (await one({ type: 'pubsub.items.get', ...where })).items.map((i) => [i.name, i.parsed]),
    ).toEqual([
      ['a', { title: { text: 'A' }, n: 1 }],
      ['b', { n: 2 }],
    ]);
    expect(
      await fail({
        type: 'pubsub.items.upsert',
        ...where,
        items: [{ name: 'c', data: '<c/>', parsedJson: 7 as unknown as string }],
      }),
    ).toBe('storage.bad-argument');
    expect(
      await fail({
        type: 'pubsub.items.upsert',
        ...where,
        items: [{ name: 'd', data: '<d/>', parsedJson: '{"n": ' }],
      }),
    ).toMatch(/^storage\./);
    expect((await one({ type: 'pubsub.items.get', ...where })).items.map((i) => i.name)).toEqual([
      'a',
      'b',
    ]);
  });

  it('profiles: list, autoconnect filter, duplicate and bad arguments', async () => {
    const { engine, one, fail } = await setup();
    expect((await one({ type: 'profile.list' })).map((p) => p.name)).toEqual(['alice', 'bob']);
    expect((await one({ type: 'profile.list', autoconnectOnly: true })).map((p) => p.name)).toEqual(
      ['alice'],
    );
    expect(await one({ type: 'profile.get', name: 'alice' })).toMatchObject({
      serverHost: '127.0.0.1',
      serverPort: 5222,
      created: 5,
    });
    expect(await fail({ type: 'profile.create', name: 'alice', jid: 'a@b' })).toBe(
      'storage.profile-exists',
    );
    expect(await fail({ type: 'profile.create', name: 'c', jid: 'c@d', serverPort: 70000 })).toBe(
      'storage.bad-argument',
    );
    expect(await fail({ type: 'profile.create', name: '', jid: 'c@d' })).toBe(
      'storage.bad-argument',
    );
    expect(await fail({ type: 'nonsense' } as unknown as StorageRequest)).toBe(
      'storage.unknown-request',
    );
    const request = { type: 'profile.get', name: 'alice' } as const;
    const profile = unwrapOutcome(request, (await engine.applyBatch([request]))[0]);
    expect(profile?.jid).toBe('alice@example.org');
    const bad = { type: 'profile.get', name: '' } as const;
    expect(() =>
      unwrapOutcome(bad, {
        ok: false,
        error: { name: 'Error', code: 'storage.bad-argument', message: 'x' },
      }),
    ).toThrow(expect.objectContaining({ code: 'storage.bad-argument' }));
    expect(await one({ type: 'profile.delete', name: 'bob' })).toEqual({ deleted: true });
    expect(await one({ type: 'profile.delete', name: 'bob' })).toEqual({ deleted: false });
    await engine.close();
  });

  it('components: create (upsert), get, delete; unknown profile', async () => {
    const { engine, one, fail } = await setup();
    await one({
      type: 'component.create',
      profile: 'bob',
      entryPoint: 'gateway',
      secretCiphertext: 'c1',
    });
    expect(
      await one({
        type: 'component.create',
        profile: 'bob',
        entryPoint: 'gateway',
        receiveHistory: true,
      }),
    ).toMatchObject({ secretCiphertext: null, sendHistory: false, receiveHistory: true });
    expect(await one({ type: 'component.get', profile: 'bob' })).toMatchObject({
      entryPoint: 'gateway',
    });
    expect(await one({ type: 'component.delete', profile: 'bob' })).toEqual({ deleted: true });
    expect(await one({ type: 'component.get', profile: 'bob' })).toBeNull();
    expect(await one({ type: 'profile.get', name: 'bob' })).not.toBeNull();
    expect(await fail({ type: 'component.create', profile: 'zed', entryPoint: 'x' })).toBe(
      'storage.unknown-profile',
    );
    await engine.close();
  });

  it('parameters and private values: general vs per profile, delete', async () => {
    const { engine, one } = await setup();
    await one({ type: 'param.set', category: 'c', name: 'n', value: 'general' });
    await one({ type: 'param.set', profile: 'alice', category: 'c', name: 'n', value: 'alice' });
    expect(await one({ type: 'param.get', category: 'c', name: 'n' })).toBe('general');
    expect(await one({ type: 'param.get', profile: 'alice', category: 'c', name: 'n' })).toBe(
      'alice',
    );
    expect(await one({ type: 'param.get', profile: 'bob', category: 'c', name: 'n' })).toBeNull();
    expect(await one({ type: 'param.delete', profile: 'alice', category: 'c', name: 'n' })).toEqual(
      { deleted: true },
    );
    expect(await one({ type: 'param.get', profile: 'alice', category: 'c', name: 'n' })).toBeNull();
    await one({ type: 'private.set', namespace: 'ns', key: 'a', value: 1 });
    await one({ type: 'private.set', namespace: 'ns', key: 'b', value: [true, null, 'x'] });
    await one({
      type: 'private.set',
      profile: 'bob',
      namespace: 'ns',
      key: 'a',
      value: { deep: { v: 2 } },
    });
    expect(await one({ type: 'private.get', namespace: 'ns', keys: ['b'] })).toEqual({
      b: [true, null, 'x'],
    });
    expect(await one({ type: 'private.get', profile: 'bob', namespace: 'ns' })).toEqual({
      a: { deep: { v: 2 } },
    });
    expect(await one({ type: 'private.delete', namespace: 'ns' })).toEqual({ deleted: 2 });
    expect(await one({ type: 'private.get', namespace: 'ns' })).toEqual({});
    expect(await one({ type: 'private.get', profile: 'bob', namespace: 'ns' })).toEqual({
      a: { deep: { v: 2 } },
    });
    await engine.close();
  });

  it('history.delivered: a receipt marks the sent message it names, by uid or origin-id, once, and only from its recipient', async () => {
    const { one } = await setup();
    const send = (uid: string, extra: object = {}) =>
      one({
        type: 'history.add',
        profile: 'alice',
        uid,
        from: 'alice@example.org/a',
        to: 'bob@example.org',
        messageType: 'chat',
        timestamp: 10,
        ...extra,
      } as StorageRequest & { type: 'history.add' });
    await send('s1', { originId: 's1' });
    await send('s2', { originId: 'other-id' });
    await send('s3');
    const receipt = async (id: string, recipient = 'bob@example.org/phone', profile = 'alice') =>
      (await one({ type: 'history.delivered', profile, id, recipient, timestamp: 20 })).updated;
    expect(await receipt('s1')).toBe(1); // uid and origin-id alike: one row, counted once
    expect(await receipt('other-id')).toBe(1); // by origin-id
    expect(await receipt('s3')).toBe(1); // by uid, no origin-id
    expect(await receipt('s1')).toBe(0); // the first receipt wins
    expect(await receipt('s2', 'mallory@example.org')).toBe(0); // only the recipient confirms
    expect(await receipt('s2', 'bob@example.org', 'bob')).toBe(0); // another profile's message
    const delivered = await one({ type: 'history.query', profile: 'alice', order: 'asc' });
    expect(delivered.map((m) => [m.uid, m.delivered])).toEqual([
      ['s1', 20],
      ['s2', 20],
      ['s3', 20],
    ]);
  });

  it('history: between two JIDs, types filter, origin-id idempotence, malformed JID', async () => {
    const { engine, one, fail } = await setup();
    const add = (uid: string, from: string, to: string, extra: object = {}) =>
      one({
        type: 'history.add',
        profile: 'alice',
        uid,
        from,
        to,
        messageType: 'chat',
        timestamp: Number(uid.slice(1)),
        ...extra,
      } as StorageRequest & { type: 'history.add' });
    await add('m1', 'alice@example.org/a', 'bob@example.org');
    await add('m2', 'bob@example.org/b', 'alice@example.org/a', { originId: 'o1' });
    expect(await add('m9', 'bob@example.org/b', 'alice@example.org', { originId: 'o1' })).toEqual({
      uid: 'm9',
      added: false,
    });
    await add('m3', 'carol@example.org', 'alice@example.org', {
      messageType: 'groupchat',
      extra: { k: [1] },
    });
    const between = await one({
      type: 'history.query',
      profile: 'alice',
      between: ['alice@example.org', 'bob@example.org'],
      order: 'asc',
    });
    expect(between.map((m) => m.uid)).toEqual(['m1', 'm2']);
    expect(between[1]).toMatchObject({
      from: 'bob@example.org/b',
      to: 'alice@example.org/a',
      originId: 'o1',
    });
    const group = await one({ type: 'history.query', profile: 'alice', types: ['groupchat'] });
    expect(group).toMatchObject([{ uid: 'm3', extra: { k: [1] } }]);
    expect(
      (await one({ type: 'history.query', profile: 'alice', limit: 1 })).map((m) => m.uid),
    ).toEqual(['m3']);
    expect(
      (await one({ type: 'history.query', profile: 'alice', with: 'bob@example.org/b' })).map(
        (m) => m.uid,
      ),
    ).toEqual(['m2']);
    expect(await fail({ type: 'history.query', profile: 'alice', with: 'bad jid@' })).toBe(
      'storage.bad-argument',
    );
    expect(
      await fail({ type: 'history.query', profile: 'alice', types: ['shout' as 'chat'] }),
    ).toBe('storage.bad-argument');
    expect(
      await fail({
        type: 'history.add',
        profile: 'alice',
        uid: 'x',
        from: '@x',
        to: 'a@b',
        messageType: 'chat',
        timestamp: 1,
      }),
    ).toBe('storage.bad-argument');
    await engine.close();
  });

  it('pubsub nodes: set keeps fields, sync state, delete by lists, reset, items delete', async () => {
    const { engine, clock, one, fail } = await setup();
    await one({
      type: 'pubsub.node.set',
      profile: 'alice',
      service: 's1',
      node: 'n1',
      nodeType: 'blog',
      subtype: null,
      analyser: 'xep-0277',
      extra: { a: 1 },
    });
    await clock.advance(2000);
    const updated = await one({
      type: 'pubsub.node.set',
      profile: 'alice',
      service: 's1',
      node: 'n1',
      syncState: 'IN_PROGRESS',
    });
    expect(updated).toMatchObject({
      type: 'blog',
      analyser: 'xep-0277',
      syncState: 'IN_PROGRESS',
      syncStateUpdated: 7,
      extra: { a: 1 },
    });
    await one({ type: 'pubsub.node.set', profile: 'alice', service: 's1', node: 'n2' });
    await one({
      type: 'pubsub.node.set',
      profile: 'bob',
      service: 's2',
      node: 'n1',
      nodeType: 'blog',
    });
    expect(
      await one({
        type: 'pubsub.node.sync-state',
        profile: 'alice',
        service: 's1',
        nodes: ['n1', 'n2'],
        state: 'COMPLETED',
      }),
    ).toEqual({ updated: 2 });
    expect(
      await fail({
        type: 'pubsub.node.sync-state',
        profile: 'alice',
        service: 's1',
        nodes: ['n1'],
        state: 'DONE' as 'COMPLETED',
      }),
    ).toBe('storage.bad-argument');
    await one({
      type: 'pubsub.items.upsert',
      profile: 'alice',
      service: 's1',
      node: 'n2',
      items: [
        { name: 'a', data: '<a/>' },
        { name: 'b', data: '<b/>' },
      ],
    });
    expect(
      await one({
        type: 'pubsub.items.delete',
        profile: 'alice',
        service: 's1',
        node: 'n2',
        names: ['a', 'zz'],
      }),
    ).toEqual({ deleted: 1 });
    expect(
      (
        await one({ type: 'pubsub.items.get', profile: 'alice', service: 's1', node: 'n2' })
      ).items.map((i) => i.name),
    ).toEqual(['b']);
    expect(await one({ type: 'pubsub.purge', types: [null] })).toEqual({ deleted: 1 });
    expect(await fail({ type: 'pubsub.nodes.delete' })).toBe('storage.bad-argument');
    expect(await one({ type: 'pubsub.nodes.delete', profiles: ['alice'], nodes: ['n2'] })).toEqual({
      deleted: 1,
    });
    expect(
      await one({ type: 'pubsub.node.get', profile: 'alice', service: 's1', node: 'n2' }),
    ).toBeNull();
    expect(await one({ type: 'pubsub.reset', profiles: ['bob'] })).toEqual({ deleted: 1 });
    expect(await one({ type: 'pubsub.reset' })).toEqual({ deleted: 1 });
    expect(
      await fail({
        type: 'pubsub.items.get',
        profile: 'alice',
        service: 's1',
        node: 'n1',
        rsm: { after: 'missing' },
      }),
    ).toBe('storage.unknown-node');
    await engine.close();
  });

  it('pubsub search: filters on services/types, names, no-query ordering, bad filter', async () => {
    const { engine, one, fail } = await setup();
    await one({
      type: 'pubsub.node.set',
      profile: 'alice',
      service: 's1',
      node: 'n1',
      nodeType: 'blog',
    });
    await one({
      type: 'pubsub.node.set',
      profile: 'alice',
      service: 's2',
      node: 'n1',
      nodeType: 'tickets',
    });
    await one({
      type: 'pubsub.items.upsert',
      profile: 'alice',
      service: 's1',
      node: 'n1',
      items: [
        { name: 'x', data: '<p>red fox</p>', created: 1 },
        { name: 'y', data: '<p>red red red</p>', created: 2 },
      ],
    });
    await one({
      type: 'pubsub.items.upsert',
      profile: 'alice',
      service: 's2',
      node: 'n1',
      items: [{ name: 'z', data: '<p>red</p>', created: 3 }],
    });
    expect((await one({ type: 'pubsub.items.search', query: 'red' })).map((h) => h.name)).toEqual([
      'y',
      'z',
      'x',
    ]);
    expect(
      (await one({ type: 'pubsub.items.search', query: 'red', services: ['s1'] })).map(
        (h) => h.name,
      ),
    ).toEqual(['y', 'x']);
    expect(
      (await one({ type: 'pubsub.items.search', types: ['tickets'] })).map((h) => h.service),
    ).toEqual(['s2']);
    expect(
      (
        await one({
          type: 'pubsub.items.search',
          orderBy: 'creation',
          order: 'asc',
          limit: 2,
          index: 1,
        })
      ).map((h) => h.name),
    ).toEqual(['y', 'z']);
    expect(
      (await one({ type: 'pubsub.items.search', names: ['x', 'z'] })).map((h) => h.name),
    ).toEqual(['z', 'x']);
    expect(await fail({ type: 'pubsub.items.search', orderBy: 'rank' })).toBe(
      'storage.bad-argument',
    );
    expect(await fail({ type: 'pubsub.items.search', services: 's1' as unknown as string[] })).toBe(
      'storage.bad-argument',
    );
    await engine.close();
  });
});
