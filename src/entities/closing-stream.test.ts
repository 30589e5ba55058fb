/**
 * What the server sends while our stream closes was, to the server, delivered (RFC 6120 §4.4:
 * the side that sent the closing tag still reads until the peer's). A message arriving then is
 * handled and stored, whether the profile is disconnected (its actor keeps running) or the
 * runtime stops (its actor no longer accepts mail, and handles the message in its last turn).
 */
import xml, { type Element } from '@xmpp/xml';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../test/helpers/cli.js';
import { createLogger } from '../log.js';
import { type Aviary, createRuntime } from '../runtime/default-runtime.js';
import { createInProcessTransport } from '../transport/in-process.js';
import type { EntityConnection } from './entity-connection.js';

/** In-process connections whose server sends one message while each connection closes. */
function transportSendingOnClose() {
  const transport = createInProcessTransport();
  const client: typeof transport.factories.client = (args) => {
    const inner = transport.factories.client(args);
    const handlers = new Set<(stanza: Element) => void>();
    let closes = 0;
    const connection: EntityConnection = {
      get jid() {
        return inner.jid;
      },
      connect: () => inner.connect(),
      async disconnect() {
        const to = inner.jid ?? args.profile.jid;
        const late = xml(
          'message',
          {
            xmlns: 'jabber:client',
            from: 'peer@x.test/r',
            to,
            type: 'chat',
            id: `late-${++closes}`,
          },
          xml('body', {}, `sent while closing ${closes}`),
        );
        for (const handler of [...handlers]) handler(late);
        await inner.disconnect();
      },
      send: (element) => inner.send(element),
      iq: (element, timeoutMs) => inner.iq(element, timeoutMs),
      onStanza(handler) {
        handlers.add(handler);
        const off = inner.onStanza(handler);
        return () => {
          handlers.delete(handler);
          off();
        };
      },
      onStatus: (handler) => inner.onStatus(handler),
      pause: () => inner.pause(),
      resume: () => inner.resume(),
    };
    return connection;
  };
  return { ...transport.factories, client };
}

describe('a message the server sends while the stream closes', () => {
  let runtime: Aviary | undefined;
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  const start = async (dataDir: string) => {
    const factories = transportSendingOnClose();
    const started = createRuntime({
      api: false,
      log: createLogger({ level: 'silent' }),
      connections: () => factories,
      config: { dataDir },
    });
    await started.start();
    return started;
  };
  const bodies = async (aviary: Aviary) =>
    (await aviary.history('a')).flatMap((entry) => Object.values(entry.message));

  it('is stored when the profile is disconnected', async () => {
    runtime = await start(tempDataDir('aviary-closing-'));
    await runtime.addProfile({ name: 'a', jid: 'a@x.test', password: 'p' });
    await runtime.waitForState('a', 'online', 5000);
    await runtime.disconnect('a');
    const aviary = runtime;
    await expect.poll(() => bodies(aviary), { timeout: 5000 }).toContain('sent while closing 1');
  });

  it('is stored when the runtime stops', async () => {
    const dataDir = tempDataDir('aviary-closing-');
    const first = await start(dataDir);
    await first.addProfile({ name: 'a', jid: 'a@x.test', password: 'p' });
    await first.waitForState('a', 'online', 5000);
    await first.stop();
    runtime = await start(dataDir);
    expect(await bodies(runtime)).toContain('sent while closing 1');
  });
});
