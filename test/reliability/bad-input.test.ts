/**
 * Bad input: property-based fuzzing of the receive pipeline with in-process
 * fakes (hostile XML text: missing attributes, wrong namespaces, invalid JIDs, deep nesting,
 * DTDs and entities), a real profile receiving hostile stanzas from a raw peer (an over-sized one
 * is skipped without closing its stream and is not stored), and hostile control-API bodies.
 */
import xml from '@xmpp/xml';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/actors/clock.js';
import { isAviaryError } from '../../src/errors.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { HookRegistry } from '../../src/workflow/hooks.js';
import type { MessageData } from '../../src/workflow/message-data.js';
import { runReceivePipeline } from '../../src/workflow/receive-pipeline.js';
import { counterUids } from '../../src/workflow/test-fixtures.js';
import type { ClientConnection } from '../../src/xmpp/client-connection.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { rawPeer } from '../helpers/reliability.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const ownJid = 'romeo@montague.lit/orchard';

const attr = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    'juliet@capulet.lit/balcony',
    '@@',
    'a@b@c',
    '/x',
    `${'x'.repeat(1100)}@a.b`,
    'é@ü/\u0000',
  ),
  fc.string({ maxLength: 40 }),
);
const hostileStanza = fc.oneof(
  fc
    .record({
      ns: fc.constantFrom('jabber:client', 'jabber:component:accept', 'urn:wrong', ''),
      from: fc.option(attr),
      to: fc.option(attr),
      type: fc.option(fc.constantFrom('chat', 'groupchat', 'error', 'normal', 'bogus', '')),
      body: fc.option(fc.string({ maxLength: 200 })),
      depth: fc.nat({ max: 300 }),
      extra: fc.constantFrom(
        '',
        '<delay xmlns="urn:xmpp:delay" stamp="not-a-date"/>',
        '<thread parent="">t</thread>',
        '<body xml:lang="&amp;">x</body>',
        '<x xmlns="jabber:x:oob"><url>javascript:alert(1)</url></x>',
      ),
    })
    .map(({ ns, from, to, type, body, depth, extra }) => {
      const esc = (s: string) =>
        s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
      const attrs = [
        ns === '' ? '' : ` xmlns="${ns}"`,
        from === null ? '' : ` from="${esc(from)}"`,
        to === null ? '' : ` to="${esc(to)}"`,
        type === null ? '' : ` type="${type}"`,
      ].join('');
      const nest = `${'<n>'.repeat(depth)}${'</n>'.repeat(depth)}`;
      return `<message${attrs}>${body === null ? '' : `<body>${esc(body)}</body>`}${extra}${nest}</message>`;
    }),
  fc.constantFrom(
    '<!DOCTYPE m [<!ENTITY x "y">]><message><body>&x;</body></message>',
    '<!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]><message><body>&b;</body></message>',
    '<message><body>&xxe;</body></message>',
    '<message><body>&#0;</body></message>',
    '<message',
    '',
    'just text',
    '<iq type="get"/>',
  ),
  fc.string({ maxLength: 300 }),
);

describe('bad input: receive pipeline fuzzing (in-process fakes)', () => {
  it('never throws anything but typed errors, and stores only what it returns as stored', async () => {
    let storedTotal = 0;
    let reportedStored = 0;
    await fc.assert(
      fc.asyncProperty(hostileStanza, async (text) => {
        const stored: MessageData[] = [];
        const deps = {
          hooks: new HookRegistry(),
          ownJid,
          entityKind: 'client' as const,
          newUid: counterUids('f'),
          clock: new SimulatedClock(1_000),
          storeHistory: (m: MessageData) => {
            stored.push(m);
          },
          emit: () => undefined,
          receiveHistory: false,
        };
        try {
          const r = await runReceivePipeline(text, deps);
          if (r.outcome === 'received' && r.stored) reportedStored++;
          expect(stored.length).toBe(r.outcome === 'received' && r.stored ? 1 : 0);
          for (const m of stored) {
            expect(typeof m.uid).toBe('string');
            expect(JSON.stringify(m)).not.toMatch(/"__proto__"/);
          }
        } catch (error) {
          expect(isAviaryError(error), String(error)).toBe(true);
          expect(stored).toEqual([]);
        }
        storedTotal += stored.length;
      }),
      { numRuns: 1500 },
    );
    expect(storedTotal).toBe(reportedStored);
    expect(storedTotal, 'some generated stanzas are valid messages').toBeGreaterThan(0);
  });
});

describe('bad input: a real profile and the control API', () => {
  let prosody: ProsodyFixture;
  let runtime: Aviary;
  let peer: ClientConnection;
  beforeAll(async () => {
    prosody = await startProsody({
      users: [
        { username: 'target', password: 'target-pw' },
        { username: 'hostile', password: 'hostile-pw' },
      ],
    });
    runtime = await startTestRuntime(prosody, {
      api: true,
      config: { xmpp: { maxStanzaBytes: 64 * 1024 } },
    });
    await runtime.addProfile(prosodyAccount(prosody, 'target', 'target-pw'));
    await runtime.waitForState('target', 'online');
    peer = await rawPeer(prosody, 'hostile', 'hostile-pw');
  });
  afterAll(async () => {
    await peer?.disconnect().catch(() => undefined);
    await runtime?.stop();
    await prosody?.stop();
  });

  it('hostile stanzas: the runtime survives, an over-sized one is skipped without a reconnect, nothing dropped is stored', async () => {
    const to = `target@${prosody.domain}/`;
    const states: string[] = [];
    runtime.events.on('connectionState', (e) => e.name === 'target' && states.push(e.state));
    const full = runtime.entity('target').jid ?? '';
    const target = full.includes('/') ? full : `target@${prosody.domain}`;
    const hostile = [
      xml('message', { to: target, type: 'bogus' }, xml('body', {}, 'bad type')),
      xml('message', { to: target }, xml('body', { xmlns: 'urn:wrong' }, 'wrong ns body')),
      xml(
        'message',
        { to: target, type: 'chat' },
        xml('delay', { xmlns: 'urn:xmpp:delay', stamp: 'garbage' }),
      ),
      xml('message', { to: target, type: 'chat' }, xml('thread', {}, '')),
    ];
    let deep = xml('n', {});
    for (let i = 0; i < 500; i++) deep = xml('n', {}, deep);
    hostile.push(xml('message', { to: target, type: 'chat' }, deep));
    for (const s of hostile) await peer.send(s);
    await peer.send(
      xml('message', { to: target, type: 'chat' }, xml('body', {}, 'x'.repeat(200_000))),
    );
    // Over maxStanzaBytes (64 KiB) but under the hard limit (4×): skipped, the stream stays up.
    // The peer's stream is ordered: once 'good one' is stored, the over-sized stanza was handled.
    await peer.send(
      xml('message', { to: to.slice(0, -1), type: 'chat' }, xml('body', {}, 'good one')),
    );
    const delivered = async () =>
      (await runtime.history('target')).some((r) => JSON.stringify(r.message).includes('good one'));
    await waitFor(delivered, { timeoutMs: 15_000, what: "'good one' in target's history" });
    const rows = await runtime.history('target');
    const texts = rows.map((r) => JSON.stringify(r.message));
    expect(texts.some((t) => t.includes('good one'))).toBe(true);
    expect(texts.some((t) => t.includes('xxxxxxxxxx'))).toBe(false);
    expect(states).not.toContain('reconnecting');
    expect(runtime.entity('target').state).toBe('online');
    console.log(`bad-input: target states ${states.join(' → ')}; ${rows.length} rows stored`);
    expect(runtime.state).toBe('running');
  });

  it('hostile control-API bodies get 400/413 and change nothing', async () => {
    const { readFileSync } = await import('node:fs');
    const token = readFileSync(`${runtime.dataDir}/api-token`, 'utf8').trim();
    const before = runtime
      .entities()
      .map((e) => e.name)
      .sort();
    const post = (body: string | Uint8Array) =>
      fetch(`${runtime.apiUrl}/profiles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
    const cases: Array<[string | Uint8Array, number[]]> = [
      ['{not json', [400]],
      ['', [400]],
      ['null', [400]],
      ['[]', [400]],
      ['{"name": 5, "jid": [], "password": {}}', [400]],
      ['{"name": "x", "jid": "not a jid", "password": "p"}', [400]],
      ['{"__proto__": {"admin": true}, "name": "p", "jid": "p@x.org"}', [400]],
      [`{"name": "${'n'.repeat(2_000_000)}"}`, [413]],
      [new Uint8Array([0xff, 0xfe, 0x00, 0x7b]), [400]],
    ];
    for (const [body, expected] of cases) {
      const res = await post(body);
      await res.arrayBuffer();
      expect(
        expected,
        `${typeof body === 'string' ? body.slice(0, 60) : 'bytes'} → ${res.status}`,
      ).toContain(res.status);
    }
    expect(
      runtime
        .entities()
        .map((e) => e.name)
        .sort(),
    ).toEqual(before);
    expect(runtime.state).toBe('running');
  });
});
