import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { EntityExtensions } from './entity-extensions.js';

const silent = { warn() {} };
const versionGet = () =>
  xml(
    'iq',
    { type: 'get', id: 'v1', from: 'juliet@capulet.lit/balcony' },
    xml('query', { xmlns: 'jabber:iq:version' }),
  );

describe('EntityExtensions', () => {
  it('runs stanza middleware by priority, ties in registration order, then the built-in', async () => {
    const ext = new EntityExtensions({ log: silent });
    const seen: string[] = [];
    ext.useStanza(async (_s, next) => {
      seen.push('a0');
      await next();
    });
    ext.useStanza(
      async (_s, next) => {
        seen.push('b10');
        await next();
      },
      { priority: 10 },
    );
    ext.useStanza(async (_s, next) => {
      seen.push('c0');
      await next();
    });
    await ext.runStanza(xml('message'), async () => {
      seen.push('built-in');
    });
    expect(seen).toEqual(['b10', 'a0', 'c0', 'built-in']);
  });

  it('passes a replacement given to next on to the following middleware and the built-in', async () => {
    const ext = new EntityExtensions({ log: silent });
    const seen: string[] = [];
    ext.useStanza(
      async (stanza, next) => {
        seen.push(`outer:${stanza.attrs.id}`);
        await next(xml('message', { id: 'inner' }));
      },
      { priority: 10 },
    );
    ext.useStanza(async (stanza, next) => {
      seen.push(`next:${stanza.attrs.id}`);
      await next();
    });
    await ext.runStanza(xml('message', { id: 'wrapper' }), async (stanza) => {
      seen.push(`built-in:${stanza.attrs.id}`);
    });
    expect(seen).toEqual(['outer:wrapper', 'next:inner', 'built-in:inner']);
  });

  it('lets a middleware consume a stanza, and goes on past a throwing one', async () => {
    const ext = new EntityExtensions({ log: silent });
    let reached = 0;
    const off = ext.useStanza(() => undefined); // does not call next: consumed
    await ext.runStanza(xml('message'), async () => {
      reached++;
    });
    expect(reached).toBe(0);
    off();
    ext.useStanza(() => {
      throw new Error('plugin bug');
    });
    await ext.runStanza(xml('message'), async () => {
      reached++;
    });
    expect(reached).toBe(1);
  });

  it('passes a replacement stanza on to lower priorities and the built-in handling', async () => {
    const ext = new EntityExtensions({ log: silent });
    const seen: string[] = [];
    ext.useStanza(async (_s, next) => next(xml('message', { id: 'inner' })), { priority: 5 });
    ext.useStanza(async (s, next) => {
      seen.push(`low:${s.attrs.id}`);
      await next();
    });
    await ext.runStanza(xml('message', { id: 'outer' }), async (s) => {
      seen.push(`built-in:${s.attrs.id}`);
    });
    expect(seen).toEqual(['low:inner', 'built-in:inner']);
  });

  it('answers an IQ with the highest-priority handler of its route and unregisters', async () => {
    const ext = new EntityExtensions({ log: silent });
    const route = { type: 'get', xmlns: 'jabber:iq:version', name: 'query' } as const;
    ext.handleIq(route, () => xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, 'low')));
    const off = ext.handleIq(
      route,
      () => xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, 'high')),
      { priority: 5 },
    );
    const reply = await ext.answerIq(versionGet());
    expect(reply.attrs).toMatchObject({
      type: 'result',
      id: 'v1',
      to: 'juliet@capulet.lit/balcony',
    });
    expect(reply.getChild('query', 'jabber:iq:version')?.getChildText('name')).toBe('high');
    off();
    const after = await ext.answerIq(versionGet());
    expect(after.getChild('query', 'jabber:iq:version')?.getChildText('name')).toBe('low');
  });

  it('answers service-unavailable when nobody handles the route and internal-server-error on a throw', async () => {
    const ext = new EntityExtensions({ log: silent });
    const condition = (reply: Element) => reply.getChild('error')?.getChildElements()[0]?.name;
    const unhandled = await ext.answerIq(versionGet());
    expect(unhandled.attrs.type).toBe('error');
    expect(condition(unhandled)).toBe('service-unavailable');
    ext.handleIq({ type: 'set', xmlns: 'jabber:iq:version', name: 'query' }, () => xml('x'));
    expect(condition(await ext.answerIq(versionGet()))).toBe('service-unavailable'); // get ≠ set
    ext.handleIq({ type: 'get', xmlns: 'jabber:iq:version', name: 'query' }, () => {
      throw new Error('boom');
    });
    expect(condition(await ext.answerIq(versionGet()))).toBe('internal-server-error');
  });

  it('runs on-online hooks in order and stops at the first failure', async () => {
    const ext = new EntityExtensions({ log: silent });
    const ran: string[] = [];
    const session = { jid: 'a@b/c', send: async () => {}, iq: async (e: Element) => e };
    ext.onOnline(() => {
      ran.push('second');
    });
    ext.onOnline(
      () => {
        ran.push('first');
      },
      { priority: 1 },
    );
    await ext.runOnline(session);
    expect(ran).toEqual(['first', 'second']);
    ext.onOnline(() => Promise.reject(new Error('caps refused')), { priority: 2 });
    await expect(ext.runOnline(session)).rejects.toThrow('caps refused');
    expect(ran).toEqual(['first', 'second']);
  });
});
