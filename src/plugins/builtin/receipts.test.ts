import { describe, expect, it } from 'vitest';
import type { MessageData } from '../../workflow/message-data.js';
import { parseXml } from '../../workflow/xml.js';
import { NS_RECEIPTS, receiptFor, wantsReceipt, withReceiptRequest } from './receipts.js';

const message = (over: Partial<MessageData>): MessageData => ({
  uid: 'u1',
  from: 'alice@x.lit/r',
  to: 'bob@x.lit',
  type: 'chat',
  message: { '': 'hi' },
  subject: {},
  timestamp: 0,
  extra: {},
  ...over,
});

describe('receipt requests (XEP-0184 §5.1)', () => {
  it('are asked on chat and normal messages with a body, never on groupchat or empty ones', () => {
    expect(wantsReceipt(message({}))).toBe(true);
    expect(wantsReceipt(message({ type: 'normal' }))).toBe(true);
    expect(wantsReceipt(message({ type: 'groupchat' }))).toBe(false);
    expect(wantsReceipt(message({ type: 'headline' }))).toBe(false);
    expect(wantsReceipt(message({ message: {} }))).toBe(false);
  });

  it('go in as the last child of the built stanza, once', () => {
    const built = "<message to='bob@x.lit' id='u1'><body>hi</body></message>";
    const asked = withReceiptRequest(built);
    expect(parseXml(asked).getChild('request', NS_RECEIPTS)).toBeDefined();
    expect(parseXml(asked).getChildText('body')).toBe('hi');
    expect(withReceiptRequest(asked)).toBe(asked);
    expect(withReceiptRequest('<message/>')).toBe('<message/>');
  });
});

describe('receipt answers (XEP-0184 §5.2)', () => {
  const ask = (attrs: string) =>
    parseXml(`<message ${attrs}><body>x</body><request xmlns='${NS_RECEIPTS}'/></message>`);

  it('echo the id of the request back to its sender', () => {
    const reply = receiptFor(ask("from='bob@x.lit/p' id='m7' type='chat'"), 'alice@x.lit')!;
    expect(reply.attrs.to).toBe('bob@x.lit/p');
    expect(reply.getChild('received', NS_RECEIPTS)?.attrs.id).toBe('m7');
  });

  it('are not given without an id, for errors or groupchat, or to ourselves', () => {
    expect(receiptFor(ask("from='bob@x.lit/p'"), 'alice@x.lit')).toBeUndefined();
    expect(
      receiptFor(ask("from='bob@x.lit/p' id='1' type='error'"), 'alice@x.lit'),
    ).toBeUndefined();
    expect(
      receiptFor(ask("from='room@c.x.lit/n' id='1' type='groupchat'"), 'alice@x.lit'),
    ).toBeUndefined();
    expect(receiptFor(ask("from='alice@x.lit/other' id='1'"), 'alice@x.lit')).toBeUndefined();
    expect(
      receiptFor(
        parseXml("<message from='bob@x.lit/p' id='1'><body>x</body></message>"),
        'alice@x.lit',
      ),
    ).toBeUndefined();
  });
});
