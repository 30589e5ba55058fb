import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { buildMessage, type MessageDraft, resolveType } from './build-message.js';
import { sampleMessage } from './test-fixtures.js';

const notRoom = { isRoom: () => false };

function draft(overrides: Partial<MessageDraft> = {}): MessageDraft {
  return { ...sampleMessage(), ...overrides };
}

describe('buildMessage', () => {
  it('builds addressing, id, one body per language, subject, thread with parent and origin-id', () => {
    const { xml, message, element } = buildMessage(
      draft({
        uid: 'abc',
        message: { '': 'Hello', fr: 'Bonjour' },
        subject: { en: 'Greeting' },
        thread: 'th-1',
        threadParent: 'th-0',
      }),
      notRoom,
    );
    expect(xml).toBe(
      '<message xmlns="jabber:client" from="juliet@capulet.lit/balcony" to="romeo@montague.lit/orchard" type="chat" id="abc">' +
        '<subject xml:lang="en">Greeting</subject>' +
        '<body>Hello</body><body xml:lang="fr">Bonjour</body>' +
        '<thread parent="th-0">th-1</thread>' +
        '<origin-id xmlns="urn:xmpp:sid:0" id="abc"/></message>',
    );
    expect(element.toString()).toBe(xml);
    expect(message.xml).toBe(xml);
    expect(message.id).toBe('abc');
  });

  it('keeps an explicit id and escapes text', () => {
    const { xml } = buildMessage(draft({ id: 'stanza-7', message: { '': '<b>&"' } }), notRoom);
    expect(xml).toContain('id="stanza-7"');
    expect(xml).toContain('<body>&lt;b&gt;&amp;"</body>');
    expect(xml).toContain('<origin-id xmlns="urn:xmpp:sid:0" id="uid-1"/>');
  });

  it('a thread parent without a thread is message.invalid', () => {
    let error: unknown;
    try {
      buildMessage(draft({ threadParent: 'p' }), notRoom);
    } catch (e) {
      error = e;
    }
    expect(isAviaryError(error, 'message.invalid')).toBe(true);
    expect((error as { details: unknown }).details).toEqual({
      reason: 'threadParent without thread',
    });
  });

  it('validates JIDs and type', () => {
    expect(() => buildMessage(draft({ to: 'no spaces@x.lit' }), notRoom)).toThrow(/invalid to JID/);
    expect(() => buildMessage(draft({ from: '@x.lit' }), notRoom)).toThrow(/invalid from JID/);
    // biome-ignore lint/suspicious/noExplicitAny: an invalid type from untyped input.
    expect(() => buildMessage(draft({ type: 'chatty' as any }), notRoom)).toThrow(/invalid type/);
    expect(() => buildMessage(draft({ type: 'info' }), notRoom)).toThrow(/cannot be sent/);
    expect(() => buildMessage(draft({ message: { 'bad lang': 'x' } }), notRoom)).toThrow(
      /language tag/,
    );
  });
});

describe('auto type', () => {
  const isRoom = (jid: string) => jid === 'room@conference.capulet.lit';

  it('is normal with a subject, even to a room', () => {
    const d = draft({ type: 'auto', to: 'room@conference.capulet.lit', subject: { '': 'Hi' } });
    expect(resolveType(d, { isRoom })).toBe('normal');
    expect(buildMessage(d, { isRoom }).xml).toContain('type="normal"');
  });

  it('is groupchat to a known room bare JID (case-insensitive) and chat otherwise', () => {
    expect(
      resolveType(draft({ type: 'auto', to: 'Room@Conference.Capulet.lit' }), { isRoom }),
    ).toBe('groupchat');
    expect(
      resolveType(draft({ type: 'auto', to: 'room@conference.capulet.lit/nurse' }), { isRoom }),
    ).toBe('chat');
    expect(resolveType(draft({ type: 'auto', to: 'romeo@montague.lit' }), { isRoom })).toBe('chat');
    expect(resolveType(draft({ type: 'auto', subject: { '': '' } }), { isRoom })).toBe('chat');
  });

  it('leaves explicit types alone', () => {
    expect(resolveType(draft({ type: 'headline', subject: { '': 'x' } }), { isRoom })).toBe(
      'headline',
    );
  });
});
