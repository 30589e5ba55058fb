import { describe, expect, it } from 'vitest';
import type { StanzaMiddleware } from '../../entities/entity-extensions.js';
import type { EntityStorage } from '../../entities/entity-ports.js';
import { createLogger } from '../../log.js';
import { HookRegistry } from '../../workflow/hooks.js';
import type { MessageData } from '../../workflow/message-data.js';
import { parseXml } from '../../workflow/xml.js';
import type { PluginHost } from '../plugin.js';
import {
  createReceiptsPlugin,
  NS_RECEIPTS,
  RECEIPT_WRITES_IN_FLIGHT,
  receiptFor,
  wantsReceipt,
  withReceiptRequest,
} from './receipts.js';

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

describe('recording receipts (XEP-0184 §5.2 answers we receive)', () => {
  it('waits for room once RECEIPT_WRITES_IN_FLIGHT records are unacknowledged', async () => {
    const pending: { resolve: () => void }[] = [];
    const requests: unknown[] = [];
    const storage: EntityStorage = {
      request: (request) => {
        requests.push(request);
        return new Promise((resolve) => pending.push({ resolve: () => resolve(null as never) }));
      },
    };
    let middleware: StanzaMiddleware | undefined;
    const host = {
      kind: 'client',
      name: 'alice',
      jid: () => 'alice@x.lit/r',
      useStanza: (m: StanzaMiddleware) => {
        middleware = m;
        return () => undefined;
      },
      onOnline: () => () => undefined,
      send: async () => undefined,
    } as unknown as PluginHost;
    await createReceiptsPlugin({ storage: () => storage }).setup({
      host,
      hooks: new HookRegistry(),
      log: createLogger({ level: 'silent' }),
    });
    const receipt = (i: number) =>
      parseXml(
        `<message from='bob@x.lit/phone' to='alice@x.lit/r'><received xmlns='${NS_RECEIPTS}' id='m${i}'/></message>`,
      );
    let passed = 0;
    const handled: Promise<void>[] = [];
    for (let i = 0; i <= RECEIPT_WRITES_IN_FLIGHT; i++) {
      handled.push(
        Promise.resolve(
          middleware?.(receipt(i), async () => {
            passed++;
          }),
        ),
      );
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Every receipt is recorded, but the one past the window waits for an acknowledgement.
    expect(passed).toBe(RECEIPT_WRITES_IN_FLIGHT);
    expect(requests).toHaveLength(RECEIPT_WRITES_IN_FLIGHT);
    pending[0]?.resolve();
    await Promise.all(handled);
    expect(passed).toBe(RECEIPT_WRITES_IN_FLIGHT + 1);
    expect(requests).toHaveLength(RECEIPT_WRITES_IN_FLIGHT + 1);
    expect(requests[0]).toMatchObject({
      type: 'history.delivered',
      id: 'm0',
      recipient: 'bob@x.lit',
    });
  });
});
