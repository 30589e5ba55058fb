/**
 * Stream fuzzer: an in-process fake server feeds generated malformed and hostile XML to a real
 * client connection, at every step of the login (before the server's header, before the
 * features, during SASL, during binding) and once online. Whatever the bytes:
 * - the process stays up: no uncaught exception, no unhandled rejection (listeners fail the run);
 * - every connection ends with a typed AviaryError, and `connect()` never rejects with anything
 *   else;
 * - online, a payload of well-formed stanzas (oversize or too deep ones included, which are
 *   skipped) keeps the stream working: the marker stanza sent after it arrives; the first
 *   malformed fragment of a known kind closes the stream with its RFC 6120 §4.9.3 condition.
 *
 * Bounded: a fixed number of runs over loopback, a few seconds. On failure fast-check prints
 * the seed and path; rerun with STREAM_FUZZ_SEED=<seed> STREAM_FUZZ_PATH=<path>.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/actors/clock.js';
import { type AviaryError, isAviaryError } from '../../src/errors.js';
import { createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import {
  FAKE_DOMAIN,
  type FakeXmppServer,
  type LoginStep,
  scriptLogin,
  startFakeXmppServer,
} from '../helpers/fake-xmpp-server.js';

const MAX_STANZA_BYTES = 4096;
const MARKER = "<message id='fuzz-marker' type='chat'><body>still here</body></message>";

/**
 * One piece of payload: its bytes; whether it is acceptable XMPP (`undefined`: random, may be
 * either); the stream error it must cause when it is the first unacceptable piece.
 */
interface Fragment {
  readonly bytes: Uint8Array;
  readonly clean: boolean | undefined;
  readonly condition?: string;
}

const text = (s: string, clean: boolean | undefined, condition?: string): Fragment => ({
  bytes: Buffer.from(s, 'utf8'),
  clean,
  ...(condition === undefined ? {} : { condition }),
});
const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

const cleanFragment: fc.Arbitrary<Fragment> = fc.oneof(
  fc
    .record({ id: fc.nat(), body: fc.string({ maxLength: 80, unit: 'grapheme' }) })
    .map(({ id, body }) =>
      text(`<message id='m${id}' type='chat'><body>${escapeText(body)}</body></message>`, true),
    ),
  fc.constantFrom(
    text("<presence from='romeo@fake.test/a'/>", true),
    text(' \n\t', true),
    text('<message><body>a &amp; b &lt; c &#x1F600; &#233;</body></message>', true),
    text('<message><body><![CDATA[<not-markup/> & ]]></body></message>', true),
    text(`<message id='big'><body>${'x'.repeat(MAX_STANZA_BYTES * 2)}</body></message>`, true),
    text(`<iq type='set' id='big-iq'><q>${'y'.repeat(MAX_STANZA_BYTES + 10)}</q></iq>`, true),
    text(`<message>${'<n>'.repeat(400)}${'</n>'.repeat(400)}</message>`, true),
    text(`<message id='deep-ok'>${'<n>'.repeat(200)}${'</n>'.repeat(200)}</message>`, true),
    text("<iq type='result' id='nobody-asked'/>", true),
  ),
);

const hostileFragment: fc.Arbitrary<Fragment> = fc.oneof(
  fc.constantFrom(
    text('<message><body>&#0;</body></message>', false, 'not-well-formed'),
    text('<message><body>&#xD800;</body></message>', false, 'not-well-formed'),
    text('<message><body>&foo;</body></message>', false, 'restricted-xml'),
    text("<message id='&xxe;'/>", false, 'restricted-xml'),
    text('<message><body>fish & chips</body></message>', false, 'not-well-formed'),
    text('<message><body>x</message></body>', false, 'not-well-formed'),
    text('<message><body>\u0001</body></message>', false, 'not-well-formed'),
    text('<!DOCTYPE x [<!ENTITY a "b">]>', false, 'policy-violation'),
    text('<message><!-- c --></message>', false, 'restricted-xml'),
    text('<message><?pi x?></message>', false, 'restricted-xml'),
    text(`<message><body>${'z'.repeat(MAX_STANZA_BYTES * 5)}`, false, 'policy-violation'),
    text(`<stream:features>${'f'.repeat(MAX_STANZA_BYTES + 1)}`, false, 'policy-violation'),
    text(
      "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
      false,
    ),
    text('</stream:stream>', false),
    text('<message><body>unterminated', false),
    text('<message', false),
    text("<message id='x", false),
    text('<![CDATA[ never ends', false),
    text('<a>'.repeat(3000), false, 'policy-violation'),
  ),
  fc
    .constantFrom(
      Uint8Array.of(0xff),
      Uint8Array.of(0xc3, 0x28),
      Uint8Array.of(0xed, 0xa0, 0x80),
      Uint8Array.of(0xf4, 0x90, 0x80, 0x80),
    )
    .map(
      (bad): Fragment => ({
        bytes: Buffer.concat([
          Buffer.from('<message><body>'),
          bad,
          Buffer.from('</body></message>'),
        ]),
        clean: false,
        condition: 'unsupported-encoding',
      }),
    ),
  fc.uint8Array({ maxLength: 64 }).map((bytes): Fragment => ({ bytes, clean: undefined })),
  fc.string({ maxLength: 64 }).map((s) => text(s, undefined)),
);

const scenario = fc.record({
  step: fc.constantFrom<LoginStep>('header', 'features', 'sasl', 'bind', 'online', 'online'),
  fragments: fc.array(fc.oneof(cleanFragment, hostileFragment), { minLength: 1, maxLength: 8 }),
  chunk: fc.integer({ min: 1, max: 2048 }),
});

describe('stream fuzzer (fake server, real client connection)', () => {
  let server: FakeXmppServer;
  const escaped: unknown[] = [];
  const onEscaped = (error: unknown) => escaped.push(error);
  beforeAll(async () => {
    server = await startFakeXmppServer();
    process.on('uncaughtException', onEscaped);
    process.on('unhandledRejection', onEscaped);
  });
  afterAll(async () => {
    process.off('uncaughtException', onEscaped);
    process.off('unhandledRejection', onEscaped);
    await server?.close();
  });

  it('no server bytes take down the process; every connection ends typed or keeps working', async () => {
    const seed = process.env.STREAM_FUZZ_SEED;
    const path = process.env.STREAM_FUZZ_PATH;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ step, fragments, chunk }) => {
        runs++;
        const escapedBefore = escaped.length;
        const client = createClientConnection({
          jid: `someone@${FAKE_DOMAIN}`,
          password: 'secret',
          server: { host: '127.0.0.1', port: server.port },
          tls: 'off',
          allowPlainTextAuth: true,
          saltedPasswordCache: createSaltedPasswordCache(),
          clock: systemClock,
          maxStanzaBytes: MAX_STANZA_BYTES,
          timeoutMs: 10_000,
        });
        const stanzaIds: string[] = [];
        client.onStanza((stanza) => stanzaIds.push(String(stanza.attrs.id)));
        const statuses: Array<{ status: string; error: AviaryError | undefined }> = [];
        client.onStatus((status, error) => statuses.push({ status, error }));
        const connecting = client.connect().then(
          () => undefined,
          (error: unknown) => error,
        );
        const peer = await server.nextPeer();
        await scriptLogin(peer, step).catch(() => undefined);
        if (step === 'online') expect(await connecting).toBeUndefined();

        const payload = Buffer.concat([...fragments.map((f) => f.bytes), Buffer.from(MARKER)]);
        for (let i = 0; i < payload.length; i += chunk)
          await peer.send(payload.subarray(i, i + chunk)).catch(() => undefined);
        peer.end();
        await peer.closed;
        const failure = await connecting;
        await new Promise<void>((resolve) => {
          const check = () => (client.status === 'offline' ? resolve() : setImmediate(check));
          check();
        });
        await new Promise((resolve) => setImmediate(resolve));

        expect(escaped.slice(escapedBefore)).toEqual([]);
        if (step !== 'online') {
          expect(isAviaryError(failure), String(failure)).toBe(true);
          return;
        }
        const last = statuses.at(-1);
        expect(last?.status).toBe('offline');
        expect(isAviaryError(last?.error), String(last?.error)).toBe(true);
        const firstBad = fragments.find((f) => f.clean !== true);
        if (firstBad === undefined) {
          expect(stanzaIds).toContain('fuzz-marker');
        } else if (firstBad.clean === false) {
          expect(stanzaIds).not.toContain('fuzz-marker');
          if (firstBad.condition !== undefined)
            expect(last?.error?.details).toMatchObject({ condition: firstBad.condition });
        }
      }),
      {
        numRuns: 120,
        ...(seed === undefined ? {} : { seed: Number(seed) }),
        ...(path === undefined ? {} : { path }),
      },
    );
    expect(runs).toBeGreaterThan(0);
    expect(escaped).toEqual([]);
  });
});
