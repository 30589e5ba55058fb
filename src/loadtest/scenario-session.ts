/**
 * The {@link ScenarioSession} a scenario drives: sends marked, counted chat messages, timed
 * IQs and pubsub requests, presence, think time; and the stanza handler that counts and times
 * the load messages a session receives.
 */
import xml, { type Element } from '@xmpp/xml';
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { createPubsubClient, type PubsubIq } from '../pubsub/pubsub-client.js';
import type { ClientConnection } from '../xmpp/client-connection.js';
import type { LoadAccount } from './accounts.js';
import { errorKind, messageOf } from './error-kind.js';
import type { LoadMetrics, TransactionKind } from './load-metrics.js';
import type { PeerSet } from './peer-set.js';
import type { ReceivedChat, ScenarioParams, ScenarioSession } from './scenario.js';

/** Namespace of the marker element carried by load messages (send time, for latency). */
export const NS_LOAD = 'urn:aviary:loadtest:0';
const HIGH_WATER_BYTES = 64 * 1024;

export interface ScenarioSessionDeps {
  readonly account: LoadAccount;
  readonly jid: string;
  readonly domain: string;
  readonly params: ScenarioParams;
  readonly connection: ClientConnection;
  readonly metrics: LoadMetrics;
  readonly now: () => number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly peers: Pick<PeerSet, 'random' | 'online'>;
  readonly signal: AbortSignal;
}

/** @example const { api, onStanza } = createScenarioSession(deps); connection.onStanza(onStanza); */
export function createScenarioSession(deps: ScenarioSessionDeps): {
  api: ScenarioSession;
  onStanza(stanza: Element): void;
} {
  const { account, jid, domain, connection, metrics, now, random } = deps;
  const abort = { signal: deps.signal };
  const chatHandlers = new Set<(chat: ReceivedChat) => void>();
  let seq = 0;

  const timed = async <T>(kind: TransactionKind | string, body: () => Promise<T>): Promise<T> => {
    const t0 = now();
    try {
      const result = await body();
      metrics.latency(kind, now() - t0);
      return result;
    } catch (error) {
      metrics.error(errorKind(error), messageOf(error));
      throw error;
    }
  };

  const onStanza = (stanza: Element) => {
    if (stanza.name !== 'message') return;
    const marker = stanza.getChild('load', NS_LOAD);
    if (marker === undefined) return;
    if (stanza.attrs.type === 'error') {
      const condition =
        stanza
          .getChild('error')
          ?.getChildElements()
          .find((c) => c.name !== 'text')?.name ?? 'undefined-condition';
      metrics.error(`message-error:${condition}`);
      return;
    }
    metrics.messageReceived(now() - Number(marker.attrs.t));
    const chat = {
      from: String(stanza.attrs.from ?? '').split('/')[0] ?? '',
      text: stanza.getChildText('body') ?? '',
    };
    for (const handler of chatHandlers) handler(chat);
  };

  const send = async (element: Element) => {
    if (connection.status !== 'online')
      throw new AviaryError('xmpp.not-connected', `session ${jid} is ${connection.status}`);
    if (connection.writableLength > HIGH_WATER_BYTES) await connection.drain();
    await connection.send(element);
  };

  const iq: PubsubIq = (request, timeoutMs) =>
    timed('pubsub', () => connection.iq(request, timeoutMs));

  const api: ScenarioSession = {
    index: account.index,
    jid,
    params: deps.params,
    signal: abort.signal,
    random,
    think: (ms) =>
      new Promise<boolean>((resolve) => {
        if (abort.signal.aborted) return resolve(false);
        const onAbort = () => {
          cancel();
          resolve(false);
        };
        const cancel = deps.clock.setTimeout(() => {
          abort.signal.removeEventListener('abort', onAbort);
          resolve(true);
        }, ms);
        abort.signal.addEventListener('abort', onAbort, { once: true });
      }),
    randomPeer: () => deps.peers.random(account.index, random),
    pairedPeer: () => deps.peers.online(account.index ^ 1),
    async sendChat(to, text) {
      seq += 1;
      try {
        await send(
          xml(
            'message',
            { to, type: 'chat', id: `ld-${account.index}-${seq}` },
            xml('body', {}, text),
            xml('load', { xmlns: NS_LOAD, t: now().toFixed(3) }),
          ),
        );
        metrics.messageSent();
      } catch (error) {
        metrics.error(errorKind(error), messageOf(error));
      }
    },
    async sendPresence(presence = {}) {
      await send(
        xml(
          'presence',
          {},
          presence.show ? xml('show', {}, presence.show) : null,
          presence.status ? xml('status', {}, presence.status) : null,
        ),
      ).catch((error: unknown) => metrics.error(errorKind(error), messageOf(error)));
    },
    iq: (element, timeoutMs) => timed('iq', () => connection.iq(element, timeoutMs)),
    async ping() {
      await timed('iq', () =>
        connection.iq(
          xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
        ),
      ).catch(() => undefined);
    },
    pubsub: createPubsubClient({ iq }),
    async transaction(name, body) {
      const t0 = now();
      try {
        const result = await body();
        metrics.latency(name, now() - t0);
        return result;
      } catch (error) {
        metrics.error(`${name}:${errorKind(error)}`, messageOf(error));
        throw error;
      }
    },
    onChat(handler) {
      chatHandlers.add(handler);
      return () => {
        chatHandlers.delete(handler);
      };
    },
  };

  return { api, onStanza };
}
