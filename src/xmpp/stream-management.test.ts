import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { AviaryError } from '../errors.js';
import { SimulatedClock } from '../util/clock.js';
import {
  createStreamManagementLink,
  NS_SM,
  type StreamManagementLink,
  StreamManagementSession,
} from './stream-management.js';
import { silentLog } from './xmpp-log.js';

function setup(session = new StreamManagementSession()) {
  const clock = new SimulatedClock(0);
  const written: Element[] = [];
  const failures: AviaryError[] = [];
  const link = createStreamManagementLink({
    session,
    clock,
    log: silentLog,
    write: (element) => written.push(element),
    fail: (error) => failures.push(error),
    ackEvery: 10,
    ackDelayMs: 500,
  });
  return { clock, written, failures, link, session };
}

const dropped = new AviaryError('xmpp.connection-failed', 'connection lost');
const sm = (name: string, attrs: Record<string, string> = {}) =>
  xml(name, { xmlns: NS_SM, ...attrs });
const message = (i: number) => xml('message', { id: `m${i}` }, xml('body', {}, `${i}`));
const names = (elements: Element[]) => elements.map((e) => e.name);

async function enabled(link: StreamManagementLink, attrs: Record<string, string> = {}) {
  const reply = link.enable(1000);
  link.inspect(sm('enabled', { id: 'sess-1', resume: 'true', ...attrs }));
  return reply;
}

describe('stream management link', () => {
  it('counts every stanza after <enabled/> (none before) and answers <r/> with h', async () => {
    const { link, written, session } = setup();
    expect(link.inspect(message(0))).toBe(false); // before enable: not counted
    expect(await enabled(link)).toBe(true);
    expect(session.resumeId).toBe('sess-1');
    for (let i = 0; i < 1000; i++) link.inspect(message(i));
    link.inspect(xml('iq', { type: 'result', id: 'x' }));
    link.skipped(); // an over-size stanza the server counted too
    expect(link.inspect(sm('r'))).toBe(true);
    const ack = written.at(-1);
    expect(ack?.name).toBe('a');
    expect(ack?.attrs.h).toBe('1002');
  });

  it('queues outgoing stanzas, asks for acks every N and after a delay, drops what is acked', async () => {
    const { link, written, clock, session } = setup();
    link.outgoing(message(-1)); // before <enable/>: not counted
    await enabled(link);
    for (let i = 0; i < 10; i++) link.outgoing(message(i));
    await clock.advance(0);
    expect(names(written)).toEqual(['enable', 'r']);
    link.inspect(sm('a', { h: '7' }));
    expect(session.outbound.length).toBe(3);
    link.outgoing(message(10));
    await clock.advance(499);
    expect(names(written)).toEqual(['enable', 'r']);
    await clock.advance(1);
    expect(names(written)).toEqual(['enable', 'r', 'r']);
    link.inspect(sm('a', { h: '11' }));
    expect(session.outbound.length).toBe(0);
  });

  it('an ack beyond what was sent ends the stream', async () => {
    const { link, failures } = setup();
    await enabled(link);
    link.outgoing(message(1));
    link.inspect(sm('a', { h: '2' }));
    expect(failures.map((f) => f.code)).toEqual(['xmpp.unexpected']);
  });

  it('resumes: sends previd and h, hands over synchronously, resends all unacked but IQ requests', async () => {
    const session = new StreamManagementSession();
    const first = setup(session);
    await enabled(first.link);
    for (let i = 0; i < 3; i++) first.link.inspect(message(i));
    first.link.outgoing(message(1));
    first.link.outgoing(xml('iq', { type: 'get', id: 'q1' }));
    first.link.outgoing(message(2));
    first.link.outgoing(xml('iq', { type: 'result', id: 'server-asked' }));
    first.link.closed(dropped);
    expect(session.resumeId).toBe('sess-1');

    const second = setup(session);
    let handedOver = false;
    const resumed = second.link.resume(1000, () => {
      handedOver = true;
    });
    const resume = second.written[0];
    expect(resume?.name).toBe('resume');
    expect(resume?.attrs).toMatchObject({ previd: 'sess-1', h: '3' });
    second.link.inspect(sm('resumed', { previd: 'sess-1', h: '1' }));
    expect(handedOver).toBe(true); // synchronously, before the promise callbacks run
    second.link.inspect(message(3)); // resent by the server right behind <resumed/>
    expect(await resumed).toBe(true);
    const again = second.link.takeResend();
    expect(again.map((e) => `${e.name}:${e.attrs.id}`)).toEqual(['message:m2', 'iq:server-asked']);
    for (const e of again) second.link.outgoing(e);
    second.link.inspect(sm('a', { h: '3' }));
    expect(second.failures).toEqual([]);
    expect(session.outbound.length).toBe(0);
    second.link.inspect(sm('r'));
    expect(second.written.at(-1)?.attrs.h).toBe('4');
  });

  it('a failed resume forgets the id; a fresh start keeps only the unacked messages', async () => {
    const session = new StreamManagementSession();
    const first = setup(session);
    await enabled(first.link);
    first.link.outgoing(message(1));
    first.link.outgoing(xml('presence'));
    const stamped = message(2);
    stamped.attrs.from = 'me@example.org/old-resource';
    first.link.outgoing(stamped);
    first.link.closed(dropped);

    const second = setup(session);
    const resumed = second.link.resume(1000, () => {
      throw new Error('must not hand over');
    });
    second.link.inspect(sm('failed', { h: '1' }));
    expect(await resumed).toBe(false);
    expect(session.resumeId).toBeUndefined();
    second.link.startFresh();
    const again = second.link.takeResend();
    expect(again.map((e) => e.attrs.id)).toEqual(['m2']);
    expect(again[0]?.attrs.from).toBeUndefined(); // the new session stamps its own
    expect(session.inbound.h).toBe(0);
  });

  it('without a resumption id there is no <resume/>; a clean close forgets everything', async () => {
    const { link, written, session } = setup();
    expect(await link.resume(1000, () => undefined)).toBe(false);
    expect(written).toEqual([]);
    await enabled(link);
    link.outgoing(message(1));
    link.finalAck();
    expect(written.at(-1)?.name).toBe('a');
    link.closed(undefined);
    expect(session.resumeId).toBeUndefined();
    expect(session.outbound.length).toBe(0);
  });

  it('a server refusing <enable/> leaves counting off', async () => {
    const { link, session, written } = setup();
    const reply = link.enable(1000);
    link.inspect(sm('failed'));
    expect(await reply).toBe(false);
    link.outgoing(message(1));
    link.inspect(message(2));
    link.inspect(sm('r'));
    expect(session.outbound.length).toBe(0);
    expect(names(written)).toEqual(['enable']);
  });

  it('no answer to <enable/> times out on the injected clock', async () => {
    const { link, clock } = setup();
    const reply = link.enable(1000).catch((error: AviaryError) => error.code);
    await clock.advance(1000);
    expect(await reply).toBe('xmpp.timeout');
  });
});
