import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../util/clock.js';
import { InboundFlow } from './inbound-flow.js';

/** A fake mailbox of `capacity` that throws when full, like a `reject` mailbox. */
function harness(capacity: number, highWater: number, lowWater: number) {
  const mailbox: string[] = [];
  const socket = { paused: false, pauses: 0, resumes: 0 };
  const warnings: object[] = [];
  let alive = true;
  let accepting = true;
  const flow = new InboundFlow({
    highWater,
    lowWater,
    mailboxSize: () => mailbox.length,
    accepting: () => accepting,
    deliver: (element) => {
      if (!alive || mailbox.length >= capacity) throw new Error('mailbox full');
      mailbox.push(element.attrs.id as string);
    },
    clock: new SimulatedClock(0),
    log: { warn: (fields) => warnings.push(fields) },
  });
  flow.attach({
    pause: () => {
      socket.paused = true;
      socket.pauses++;
    },
    resume: () => {
      socket.paused = false;
      socket.resumes++;
    },
  });
  const stanza = (n: number) => xml('message', { id: `m${n}` });
  return {
    flow,
    mailbox,
    socket,
    warnings,
    stanza,
    kill: () => (alive = false),
    stopping: () => (accepting = false),
  };
}

describe('InboundFlow', () => {
  it('keeps every stanza of a burst larger than the mailbox, in order, pausing and resuming the socket', () => {
    const h = harness(10, 8, 4);
    for (let n = 0; n < 25; n++) h.flow.offer(h.stanza(n));
    expect(h.mailbox).toHaveLength(8);
    expect(h.flow.backlog).toBe(17);
    expect(h.socket.paused).toBe(true);
    const handled: string[] = [];
    // The actor handles one message, then pumps, until everything is through.
    while (h.mailbox.length > 0) {
      handled.push(h.mailbox.shift() as string);
      h.flow.pump();
    }
    expect(handled).toEqual(Array.from({ length: 25 }, (_, n) => `m${n}`));
    expect(h.socket).toEqual({ paused: false, pauses: 1, resumes: 1 });
    expect(h.flow.refused).toBe(0);
  });

  it('leaves room for control messages above the high-water mark', () => {
    const h = harness(10, 8, 4);
    for (let n = 0; n < 12; n++) h.flow.offer(h.stanza(n));
    expect(h.mailbox.length).toBe(8); // two places left for disconnect, sends, state asks
  });

  it('does not resume before the mailbox is down to the low-water mark', () => {
    const h = harness(10, 8, 4);
    for (let n = 0; n < 9; n++) h.flow.offer(h.stanza(n));
    h.mailbox.splice(0, 3); // 5 left, backlog moved in by the pump
    h.flow.pump();
    expect(h.flow.backlog).toBe(0);
    expect(h.mailbox.length).toBe(6);
    expect(h.socket.paused).toBe(true);
    h.mailbox.splice(0, 2);
    h.flow.pump();
    expect(h.socket.paused).toBe(false);
  });

  it('counts what a gone actor refuses and logs it once per period, without an error object', () => {
    const h = harness(10, 8, 4);
    h.kill();
    for (let n = 0; n < 5; n++) h.flow.offer(h.stanza(n));
    expect(h.flow.refused).toBe(5);
    expect(h.warnings).toEqual([{ refused: 1, refusedTotal: 1 }]);
  });

  it('once the actor stops accepting, keeps stanzas for its last turn and reads on to the end', () => {
    const h = harness(10, 8, 4);
    for (let n = 0; n < 10; n++) h.flow.offer(h.stanza(n)); // 8 in the mailbox, 2 waiting, paused
    expect(h.socket.paused).toBe(true);
    h.stopping();
    h.mailbox.splice(0); // the stopping actor drains its mailbox; nothing more is moved in
    h.flow.pump();
    h.flow.offer(h.stanza(10)); // read while the stream closes
    expect(h.mailbox).toEqual([]);
    expect(h.flow.refused).toBe(0);
    const last = h.flow.takeBacklog().map((s) => s.attrs.id);
    expect(last).toEqual(['m8', 'm9', 'm10']);
    expect(h.socket.paused).toBe(false); // the server's closing tag must still be read
  });
});
