/**
 * The archive queries of one profile in flight, and the `<result/>` messages they bring.
 *
 * XEP-0313 §4.2: results arrive as messages before the IQ result that ends the page. The IQ
 * reply is matched by the connection as soon as it is read, while the result messages go
 * through the entity's mailbox one turn at a time, so a page is over only once its last
 * result (RSM `<last/>`) has been handled too.
 *
 * Security (XEP-0313 §7): a result is accepted only for a query we sent (its `queryid`) and
 * only from the archive we asked (the account's bare JID, or no `from`, which is the same);
 * anything else — a peer forging archived messages — is dropped and counted.
 */
import type { Element } from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { bareJid } from '../workflow/jid.js';
import type { FetchedPage } from './archive-pager.js';
import {
  type ArchivedMessage,
  type ArchiveQuery,
  mamQueryIq,
  NS_MAM,
  parseArchiveResult,
  parseFin,
} from './mam-stanzas.js';

/**
 * What happens to each result of a query: collected, or passed on into the workflow through
 * `forward` (the entity's next middleware step, see `StanzaMiddleware`).
 */
export type ResultHandler = (
  archived: ArchivedMessage,
  forward: (element: Element) => Promise<void>,
) => Promise<void>;

interface Pending {
  /** Bare JID the results must come from. */
  readonly archive: string;
  readonly onResult: ResultHandler;
  received: number;
  lastHandled: string | undefined;
  waiter: { readonly id: string; readonly resolve: () => void } | undefined;
}

export interface ArchiveQueriesDeps {
  readonly clock: Clock;
  /** A fresh query id (unguessable: it is what ties results to our query). */
  readonly newId: () => string;
  /** How long to wait, after the IQ result, for the page's last result (default 60 s). */
  readonly settleTimeoutMs?: number;
}

export class ArchiveQueries {
  readonly #deps: ArchiveQueriesDeps;
  readonly #pending = new Map<string, Pending>();
  #rejected = 0;

  constructor(deps: ArchiveQueriesDeps) {
    this.#deps = deps;
  }

  /** Results dropped since the start (unknown query id or wrong sender). */
  get rejected(): number {
    return this.#rejected;
  }

  /**
   * Runs one page: sends the query through `iq`, then waits until every result was handled.
   * `archive` is the bare JID whose archive is asked (the account's own by default).
   */
  async page(args: {
    readonly query: Omit<ArchiveQuery, 'queryId'>;
    readonly archive: string;
    readonly to?: string;
    readonly iq: (element: Element) => Promise<Element>;
    readonly onResult: ResultHandler;
  }): Promise<FetchedPage> {
    const queryId = this.#deps.newId();
    const pending: Pending = {
      archive: args.archive,
      onResult: args.onResult,
      received: 0,
      lastHandled: undefined,
      waiter: undefined,
    };
    this.#pending.set(queryId, pending);
    try {
      const reply = await args.iq(mamQueryIq({ ...args.query, queryId }, args.to));
      const fin = parseFin(reply);
      if (fin === undefined)
        throw new AviaryError('mam.bad-reply', 'the archive answered without a <fin/>');
      if (fin.last !== undefined) await this.#settled(pending, fin.last);
      return { ...fin, received: pending.received };
    } finally {
      this.#pending.delete(queryId);
    }
  }

  /**
   * Takes a stanza from the entity's middleware. False: not a MAM result, pass it on. True: it
   * was one and is consumed (handled, or dropped as foreign).
   */
  async accept(stanza: Element, forward: (element: Element) => Promise<void>): Promise<boolean> {
    if (stanza.name !== 'message' || stanza.getChild('result', NS_MAM) === undefined) return false;
    const archived = parseArchiveResult(stanza);
    const pending = archived === undefined ? undefined : this.#pending.get(archived.queryId);
    if (archived === undefined || pending === undefined || !fromArchive(stanza, pending.archive)) {
      this.#rejected++;
      return true;
    }
    try {
      await pending.onResult(archived, forward);
      pending.received++;
    } finally {
      pending.lastHandled = archived.archiveId;
      if (pending.waiter?.id === archived.archiveId) pending.waiter.resolve();
    }
    return true;
  }

  #settled(pending: Pending, last: string): Promise<void> {
    if (pending.lastHandled === last) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const cancel = this.#deps.clock.setTimeout(() => {
        pending.waiter = undefined;
        reject(
          new AviaryError(
            'mam.incomplete',
            `the archive's page ended at ${last} but that result never arrived`,
          ),
        );
      }, this.#deps.settleTimeoutMs ?? 60_000);
      pending.waiter = {
        id: last,
        resolve: () => {
          cancel();
          pending.waiter = undefined;
          resolve();
        },
      };
    });
  }
}

function fromArchive(stanza: Element, archive: string): boolean {
  const from = stanza.attrs.from;
  if (from === undefined || from === '') return true;
  try {
    return bareJid(String(from)) === archive && !String(from).includes('/');
  } catch {
    return false;
  }
}
