/**
 * An in-memory pubsub service behind the {@link PubsubClient} interface, for unit tests:
 * XEP-0060 items with max_items (most recent) and item ids, optional XEP-0059 RSM with opaque
 * keys (`k:<id>`, deliberately not item ids), and switches for misbehaving services.
 */
import type { ItemsPage, PubsubClient, PubsubItem, Subscription } from '../../pubsub/index.js';
import { PubsubError } from '../../pubsub/index.js';

export interface FakeNode {
  /** Oldest first. */
  items: PubsubItem[];
  maxItems?: number;
}

export interface FakeCall {
  readonly method: string;
  readonly node: string;
  readonly options?: unknown;
}

/** A fake service; tweak the public fields between steps of a test. */
export class FakePubsubService {
  readonly nodes = new Map<string, FakeNode>();
  readonly calls: FakeCall[] = [];
  /** Answer RSM requests with RSM (false: ignore `<set/>`, as Prosody 0.12). */
  rsm = true;
  /** Return the first page again whatever `after` says. */
  repeatPages = false;
  /** Order of a max_items/all result without RSM. */
  newestFirst = false;
  /** Subscription answer: a state, or an error condition to throw. */
  subscription: Subscription['state'] | { error: string } = 'subscribed';
  /** When set, each getItems waits for it (to hold a sync in progress). */
  gate: Promise<void> | undefined;
  /** Fail getItems with this condition. */
  failItems: string | undefined;
  /** Rewrites each getItems answer (call number from 1), to emulate odd services. */
  pageHook: ((page: ItemsPage, call: number) => ItemsPage) | undefined;

  publish(node: string, id: string, xml: string): void {
    const n = this.#node(node, true);
    n.items = n.items.filter((i) => i.id !== id);
    n.items.push({ id, xml });
  }

  retract(node: string, id: string): void {
    const n = this.#node(node, false);
    n.items = n.items.filter((i) => i.id !== id);
  }

  count(method: string, node?: string): number {
    return this.calls.filter((c) => c.method === method && (node === undefined || c.node === node))
      .length;
  }

  #node(node: string, create: boolean): FakeNode {
    let n = this.nodes.get(node);
    if (n === undefined) {
      if (!create) throw new PubsubError({ condition: 'item-not-found', node });
      n = { items: [] };
      this.nodes.set(node, n);
    }
    return n;
  }

  #getItems(node: string, options: Parameters<PubsubClient['getItems']>[2] = {}): ItemsPage {
    if (this.failItems !== undefined) throw new PubsubError({ condition: this.failItems, node });
    const all = this.#node(node, false).items;
    if (options.itemIds !== undefined) {
      return { node, items: all.filter((i) => options.itemIds?.includes(i.id)) };
    }
    const rsm = options.rsm;
    if (rsm !== undefined && this.rsm) {
      const max = rsm.max ?? all.length;
      let start = 0;
      if (this.repeatPages) start = 0;
      else if (rsm.after !== undefined) start = all.findIndex((i) => `k:${i.id}` === rsm.after) + 1;
      else if (rsm.before !== undefined) {
        const end =
          rsm.before === '' ? all.length : all.findIndex((i) => `k:${i.id}` === rsm.before);
        start = Math.max(0, end - max);
      } else if (rsm.index !== undefined) start = rsm.index;
      const items = all.slice(start, start + max);
      return {
        node,
        items,
        rsm: {
          count: all.length,
          first: items[0] ? `k:${items[0].id}` : undefined,
          firstIndex: items[0] ? start : undefined,
          last: items.at(-1) ? `k:${items.at(-1)?.id}` : undefined,
        },
      };
    }
    const items = options.maxItems === undefined ? [...all] : all.slice(-options.maxItems);
    return { node, items: this.newestFirst ? items.reverse() : items };
  }

  client(): PubsubClient {
    const unsupported = () => Promise.reject(new Error('not implemented in the fake'));
    return {
      getItems: async (_service, node, options) => {
        this.calls.push({ method: 'getItems', node, options });
        await this.gate;
        const page = this.#getItems(node, options);
        return this.pageHook === undefined ? page : this.pageHook(page, this.count('getItems'));
      },
      // biome-ignore lint/correctness/useYield: the fake never iterates
      iterateItems: async function* () {
        throw new Error('not used');
      },
      publish: unsupported,
      retract: unsupported,
      subscribe: async (_service, node, jid) => {
        this.calls.push({ method: 'subscribe', node });
        if (typeof this.subscription === 'object') {
          throw new PubsubError({ condition: this.subscription.error, node });
        }
        return { node, jid, state: this.subscription };
      },
      unsubscribe: unsupported,
      createNode: unsupported,
      getNodeConfiguration: async (_service, node) => {
        this.calls.push({ method: 'getNodeConfiguration', node });
        const n = this.#node(node, false);
        const values: Record<string, string> =
          n.maxItems === undefined ? {} : { 'pubsub#max_items': String(n.maxItems) };
        return { node, form: { type: 'form', fields: [], values }, values };
      },
      configureNode: unsupported,
      deleteNode: unsupported,
      purgeNode: unsupported,
      discoInfo: unsupported,
      supportsRsm: async () => this.rsm,
    };
  }
}

/** An Atom entry payload (XEP-0277) as a standalone XML string. */
export function atom(i: number | string, extra = ''): string {
  return `<entry xmlns="http://www.w3.org/2005/Atom"><title>Post ${i}</title>${extra}</entry>`;
}
