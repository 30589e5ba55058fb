/**
 * SCRAM downgrade protection (XEP-0474) through the real SASL negotiation step, against an
 * in-process SCRAM server that signs the mechanisms and channel-binding types it offers (`d=` in
 * its server-first-message). A man in the middle that strips SCRAM-SHA-256 from the stream
 * features to force SCRAM-SHA-1 is caught; a server without the extension still logs in.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { AviaryError, isAviaryError } from '../errors.js';
import { SimulatedClock } from '../util/clock.js';
import { negotiateSasl } from './client-negotiation.js';
import { createElementQueue } from './element-queue.js';
import { createSaltedPasswordCache, downgradeProtectionInputs } from './scram.js';
import type { XmlStream } from './xml-stream.js';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_SASL_CB = 'urn:xmpp:sasl-cb:0';
const PASSWORD = 'correct horse';

interface ServerOffer {
  readonly mechanisms: readonly string[];
  readonly channelBindings: readonly string[];
  /** Whether the server implements XEP-0474 (sends `d=`). */
  readonly signs: boolean;
}

function features(offer: { mechanisms: readonly string[]; channelBindings: readonly string[] }) {
  return xml(
    'stream:features',
    {},
    xml('mechanisms', { xmlns: NS_SASL }, ...offer.mechanisms.map((m) => xml('mechanism', {}, m))),
    offer.channelBindings.length === 0
      ? null
      : xml(
          'sasl-channel-binding',
          { xmlns: NS_SASL_CB },
          ...offer.channelBindings.map((type) => xml('channel-binding', { type })),
        ),
  );
}

/** A SCRAM server over a fake stream: answers `<auth/>` and `<response/>` into the queue. */
function fakeServer(offer: ServerOffer) {
  const clock = new SimulatedClock(0);
  const queue = createElementQueue(clock);
  const salt = randomBytes(16);
  let hash: 'sha1' | 'sha256' = 'sha256';
  let clientFirstBare = '';
  let serverFirst = '';
  let chosen = '';
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const stream = {
    encrypted: true,
    async open() {
      queue.push(xml('stream:features', {}, xml('bind', {})));
    },
    async send(element: Element) {
      const data = Buffer.from(element.text(), 'base64').toString('utf8');
      if (element.name === 'auth') {
        chosen = element.attrs.mechanism ?? '';
        hash = chosen === 'SCRAM-SHA-1' ? 'sha1' : 'sha256';
        clientFirstBare = data.slice(data.indexOf('n=', 2));
        const nonce = `${clientFirstBare.split('r=')[1]}server-part`;
        const d = createHash(hash)
          .update(downgradeProtectionInputs(offer)[0] as string, 'utf8')
          .digest('base64');
        serverFirst = `r=${nonce},s=${salt.toString('base64')},i=4096${offer.signs ? `,d=${d}` : ''}`;
        queue.push(xml('challenge', { xmlns: NS_SASL }, b64(serverFirst)));
      } else if (element.name === 'response') {
        const withoutProof = data.slice(0, data.indexOf(',p='));
        const salted = pbkdf2Sync(PASSWORD, salt, 4096, hash === 'sha1' ? 20 : 32, hash);
        const serverKey = createHmac(hash, salted).update('Server Key').digest();
        const signature = createHmac(hash, serverKey)
          .update(`${clientFirstBare},${serverFirst},${withoutProof}`)
          .digest('base64');
        queue.push(xml('success', { xmlns: NS_SASL }, b64(`v=${signature}`)));
      }
    },
  } as unknown as XmlStream;
  return { queue, stream, chosen: () => chosen };
}

async function login(server: ReturnType<typeof fakeServer>, seen: Element) {
  return negotiateSasl(
    { stream: server.stream, queue: server.queue, domain: 'example.org', timeoutMs: 1000 },
    seen,
    { username: 'user', password: PASSWORD, allowPlain: true, cache: createSaltedPasswordCache() },
  );
}

async function failure(promise: Promise<unknown>): Promise<AviaryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AviaryError) return error;
    throw error;
  }
  throw new Error('expected the login to fail');
}

const full = {
  mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'],
  channelBindings: ['tls-server-end-point', 'tls-exporter'],
};

describe('SCRAM downgrade protection (XEP-0474)', () => {
  it('logs in when the signed offer matches the stream features', async () => {
    const server = fakeServer({ ...full, signs: true });
    const result = await login(server, features(full));
    expect(result.mechanism).toBe('SCRAM-SHA-256');
  });

  it('refuses a mechanism downgrade made by stripping SCRAM-SHA-256 from the features', async () => {
    const server = fakeServer({ ...full, signs: true });
    const stripped = { ...full, mechanisms: ['SCRAM-SHA-1', 'PLAIN'] };
    const error = await failure(login(server, features(stripped)));
    expect(server.chosen()).toBe('SCRAM-SHA-1');
    expect(isAviaryError(error, 'xmpp.auth-failed')).toBe(true);
    expect(error.details).toMatchObject({ condition: 'downgrade-detected' });
  });

  it('refuses a channel-binding downgrade (types removed from the features)', async () => {
    const server = fakeServer({ ...full, signs: true });
    const error = await failure(login(server, features({ ...full, channelBindings: [] })));
    expect(error.details).toMatchObject({ condition: 'downgrade-detected' });
  });

  it('accepts a signed offer without channel-binding types, with or without the trailing separator', async () => {
    const offer = { mechanisms: ['SCRAM-SHA-1', 'SCRAM-SHA-256'], channelBindings: [] };
    expect(downgradeProtectionInputs(offer)).toEqual([
      'SCRAM-SHA-1,SCRAM-SHA-256|',
      'SCRAM-SHA-1,SCRAM-SHA-256',
    ]);
    const server = fakeServer({ ...offer, signs: true });
    expect((await login(server, features(offer))).mechanism).toBe('SCRAM-SHA-256');
  });

  it('a server without the extension (no d=) still logs in', async () => {
    const server = fakeServer({ ...full, signs: false });
    const stripped = { ...full, mechanisms: ['SCRAM-SHA-1'] };
    expect((await login(server, features(stripped))).mechanism).toBe('SCRAM-SHA-1');
  });
});
