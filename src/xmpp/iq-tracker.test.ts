import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { AviaryError } from '../errors.js';
import { SimulatedClock } from '../util/clock.js';
import { createIqTracker } from './iq-tracker.js';

function setup() {
  const clock = new SimulatedClock(0);
  const sent: Element[] = [];
  const tracker = createIqTracker({
    clock,
    send: async (e) => {
      sent.push(e);
    },
    defaultTimeoutMs: 1000,
    isLocalSender: (from) => from === undefined || from === 'example.org',
  });
  return { clock, sent, tracker };
}

describe('createIqTracker', () => {
  it('an error reply that arrives before the send settles is no unhandled rejection', async () => {
    const clock = new SimulatedClock(0);
    let finishSend: () => void = () => {};
    const tracker = createIqTracker({
      clock,
      send: (e) =>
        new Promise<void>((resolve) => {
          finishSend = resolve;
          // The server answers while the write is still being flushed.
          queueMicrotask(() =>
            tracker.handleReply(
              xml(
                'iq',
                { type: 'error', id: e.attrs.id },
                xml(
                  'error',
                  { type: 'cancel' },
                  xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
                ),
              ),
            ),
          );
        }),
      defaultTimeoutMs: 1000,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const reply = tracker.request(xml('iq', { type: 'get' }, xml('q')));
      // Let the reply arrive and the event loop notice any rejection nobody handles.
      await new Promise((r) => setTimeout(r, 0));
      await new Promise((r) => setImmediate(r));
      finishSend();
      await expect(reply).rejects.toMatchObject({ code: 'xmpp.stanza-error' });
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('matches a result by id and by the addressee', async () => {
    const { sent, tracker } = setup();
    const reply = tracker.request(xml('iq', { type: 'get', to: 'bob@example.org/r' }, xml('q')));
    await Promise.resolve();
    const id = sent[0]?.attrs.id;
    expect(id).toBeTruthy();
    expect(
      tracker.handleReply(xml('iq', { type: 'result', id, from: 'mallory@example.org' })),
    ).toBe(false);
    expect(tracker.handleReply(xml('iq', { type: 'result', id, from: 'bob@example.org/r' }))).toBe(
      true,
    );
    expect((await reply).attrs.from).toBe('bob@example.org/r');
    expect(tracker.pending).toBe(0);
  });

  it('accepts replies to server-addressed requests only from local senders', async () => {
    const { sent, tracker } = setup();
    const reply = tracker.request(xml('iq', { type: 'set' }, xml('bind')));
    await Promise.resolve();
    const id = sent[0]?.attrs.id;
    expect(tracker.handleReply(xml('iq', { type: 'result', id, from: 'evil.org' }))).toBe(false);
    expect(tracker.handleReply(xml('iq', { type: 'result', id, from: 'example.org' }))).toBe(true);
    await expect(reply).resolves.toBeDefined();
  });

  it('rejects with the stanza error condition, and times out with the clock', async () => {
    const { clock, sent, tracker } = setup();
    const failing = tracker.request(xml('iq', { type: 'get' }, xml('q')));
    const silent = tracker.request(xml('iq', { type: 'get' }, xml('q')), 500);
    await Promise.resolve();
    const error = xml(
      'iq',
      { type: 'error', id: sent[0]?.attrs.id },
      xml(
        'error',
        { type: 'cancel' },
        xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
      ),
    );
    tracker.handleReply(error);
    await expect(failing).rejects.toMatchObject({
      code: 'xmpp.stanza-error',
      details: { condition: 'item-not-found', type: 'cancel' },
    });
    const timedOut = expect(silent).rejects.toMatchObject({ code: 'xmpp.timeout' });
    await clock.advance(500);
    await timedOut;
    expect(tracker.pending).toBe(0);
  });

  it('fails the request whose reply was skipped, with the given error, and only from its addressee', async () => {
    const { sent, tracker } = setup();
    const reply = tracker.request(xml('iq', { type: 'get', to: 'pubsub.example.org' }, xml('q')));
    await Promise.resolve();
    const id = sent[0]?.attrs.id;
    const tooLarge = new AviaryError('xmpp.stanza-too-large', 'too large');
    expect(tracker.failReply({ id, from: 'mallory@example.org' }, tooLarge)).toBe(false);
    expect(tracker.pending).toBe(1);
    expect(tracker.failReply({ id, from: 'pubsub.example.org' }, tooLarge)).toBe(true);
    await expect(reply).rejects.toMatchObject({ code: 'xmpp.stanza-too-large' });
    expect(tracker.pending).toBe(0);
    expect(tracker.failReply({ id, from: 'pubsub.example.org' }, tooLarge)).toBe(false);
  });
});
