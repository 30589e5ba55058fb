/**
 * A thin XEP-0060 client over an injected iq caller: build the request, send it, parse the
 * reply, and turn error replies into {@link PubsubError}s. It keeps no state of its own.
 * https://xmpp.org/extensions/xep-0060.html
 */
import type { FormValue } from './data-form.js';
import {
  advertisesRsm,
  buildDiscoInfo,
  type DiscoInfo,
  parseDiscoInfoResult,
} from './disco-info.js';
import type { ItemParseOptions } from './item.js';
import { buildGetItems, type GetItemsOptions, type ItemsPage, parseItemsResult } from './items.js';
import {
  buildConfigureNode,
  buildCreateNode,
  buildDeleteNode,
  buildGetNodeConfiguration,
  buildPurgeNode,
  type NodeConfiguration,
  type NodeConfigValues,
  parseCreateNodeResult,
  parseNodeConfigurationResult,
} from './node-admin.js';
import { buildPublish, buildRetract, type PublishItem, parsePublishResult } from './publish.js';
import {
  PubsubError,
  PubsubResponseError,
  parseStanzaError,
  toPubsubError,
} from './pubsub-error.js';
import {
  buildSubscribe,
  buildUnsubscribe,
  parseSubscriptionResult,
  type Subscription,
} from './subscriptions.js';
import type { XmlElement } from './xml.js';

/**
 * Sends an `<iq/>` and resolves with the reply `<iq/>`. A connection's iq caller fits: it may
 * either reject on an error reply (xmpp.js rejects with a `StanzaError` whose `element` is the
 * `<error/>`) or resolve with the `<iq type="error">`; both become {@link PubsubError}s.
 */
export type PubsubIq = (request: XmlElement, timeoutMs?: number) => Promise<XmlElement>;

/** Dependencies of {@link createPubsubClient}. */
export interface PubsubClientDeps {
  readonly iq: PubsubIq;
  /** Per-request timeout passed to `iq` (default: let `iq` decide). */
  readonly timeoutMs?: number | undefined;
}

/** The client returned by {@link createPubsubClient}. */
export interface PubsubClient {
  getItems(
    service: string,
    node: string,
    options?: GetItemsOptions & ItemParseOptions,
  ): Promise<ItemsPage>;
  /**
   * Pages through a node with RSM `after` (XEP-0059 §2.2), `pageSize` items at a time, up to
   * `limit` items. Stops on an empty page, a page without `<last/>`, a page that reaches
   * `count` (by its `<first index>`), a result without RSM (the service ignored the `<set/>`:
   * its one page is yielded) or when `limit` is reached; throws
   * `pubsub.invalid-response` if the service returns a page it already returned.
   */
  iterateItems(
    service: string,
    node: string,
    options?: { pageSize?: number; limit?: number } & ItemParseOptions,
  ): AsyncGenerator<ItemsPage, void, undefined>;
  /** Publishes items and resolves with their ids (XEP-0060 §7.1). */
  publish(
    service: string,
    node: string,
    items: readonly PublishItem[],
    options?: { publishOptions?: Readonly<Record<string, FormValue | number>> },
  ): Promise<string[]>;
  retract(
    service: string,
    node: string,
    itemIds: readonly string[],
    options?: { notify?: boolean },
  ): Promise<void>;
  subscribe(
    service: string,
    node: string,
    jid: string,
    options?: { options?: Readonly<Record<string, FormValue | number>> },
  ): Promise<Subscription>;
  unsubscribe(
    service: string,
    node: string,
    jid: string,
    options?: { subid?: string },
  ): Promise<Subscription>;
  /** Creates a node (instant node without `node`) and resolves with its name. */
  createNode(service: string, node?: string, config?: NodeConfigValues): Promise<string>;
  getNodeConfiguration(service: string, node: string): Promise<NodeConfiguration>;
  configureNode(service: string, node: string, config: NodeConfigValues): Promise<void>;
  deleteNode(service: string, node: string, options?: { redirect?: string }): Promise<void>;
  purgeNode(service: string, node: string): Promise<void>;
  discoInfo(to: string, node?: string): Promise<DiscoInfo>;
  /**
   * Whether `service` advertises RSM in disco#info (`pubsub#rsm`, XEP-0060 §6.5.4, or plain
   * `rsm`, XEP-0059 §6). See {@link advertisesRsm}: a service may page without saying so.
   */
  supportsRsm(service: string): Promise<boolean>;
}

/**
 * Creates a pubsub client over an iq caller.
 *
 * @example
 * const pubsub = createPubsubClient({ iq: (req, ms) => xmpp.iqCaller.request(req, ms) });
 * const page = await pubsub.getItems('pubsub.example.org', 'news', { rsm: { max: 10 } });
 */
export function createPubsubClient(deps: PubsubClientDeps): PubsubClient {
  const request = async (
    req: XmlElement,
    where: { service: string; node?: string },
  ): Promise<XmlElement> => {
    let reply: XmlElement;
    try {
      reply = await deps.iq(req, deps.timeoutMs);
    } catch (failure) {
      throw toPubsubError(failure, where);
    }
    if (reply.attrs.type === 'error') {
      throw new PubsubError({ ...parseStanzaError(reply), ...where });
    }
    return reply;
  };

  const client: PubsubClient = {
    async getItems(service, node, options = {}) {
      const reply = await request(buildGetItems(service, node, options), { service, node });
      return parseItemsResult(reply, { ...options, node });
    },

    async *iterateItems(service, node, options = {}) {
      const pageSize = options.pageSize ?? 100;
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      const seenLasts = new Set<string>();
      let after: string | undefined;
      let total = 0;
      while (total < limit) {
        const max = Math.min(pageSize, limit - total);
        const page = await client.getItems(service, node, { ...options, rsm: { max, after } });
        if (page.items.length === 0) return;
        yield page;
        total += page.items.length;
        const last = page.rsm?.last;
        if (page.rsm === undefined || last === undefined) return;
        const { count, firstIndex } = page.rsm;
        if (count !== undefined && firstIndex !== undefined) {
          if (firstIndex + page.items.length >= count) return; // that was the last page
        }
        if (seenLasts.has(last)) {
          throw new PubsubResponseError(`service repeated the page ending at item ${last}`, {
            details: { service, node, last },
          });
        }
        seenLasts.add(last);
        after = last;
      }
    },

    async publish(service, node, items, options = {}) {
      const reply = await request(buildPublish(service, node, items, options), { service, node });
      return parsePublishResult(reply, items);
    },

    async retract(service, node, itemIds, options = {}) {
      await request(buildRetract(service, node, itemIds, options), { service, node });
    },

    async subscribe(service, node, jid, options = {}) {
      const reply = await request(buildSubscribe(service, node, jid, options), { service, node });
      return parseSubscriptionResult(reply, { node, jid }, 'subscribed');
    },

    async unsubscribe(service, node, jid, options = {}) {
      const reply = await request(buildUnsubscribe(service, node, jid, options), { service, node });
      return parseSubscriptionResult(reply, { node, jid }, 'none');
    },

    async createNode(service, node, config) {
      const reply = await request(buildCreateNode(service, node, config), { service, node });
      return parseCreateNodeResult(reply, node);
    },

    async getNodeConfiguration(service, node) {
      const reply = await request(buildGetNodeConfiguration(service, node), { service, node });
      return parseNodeConfigurationResult(reply, node);
    },

    async configureNode(service, node, config) {
      await request(buildConfigureNode(service, node, config), { service, node });
    },

    async deleteNode(service, node, options = {}) {
      await request(buildDeleteNode(service, node, options), { service, node });
    },

    async purgeNode(service, node) {
      await request(buildPurgeNode(service, node), { service, node });
    },

    async discoInfo(to, node) {
      const where = node === undefined ? { service: to } : { service: to, node };
      return parseDiscoInfoResult(await request(buildDiscoInfo(to, node), where));
    },

    async supportsRsm(service) {
      return advertisesRsm(await client.discoInfo(service));
    },
  };
  return client;
}
