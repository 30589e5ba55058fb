/**
 * The receive path of the message workflow, as an ordered list of stages:
 *
 * `messageReceived` hooks on the raw stanza (may cancel; components run
 * `messageReceivedComponent`) → normalise the component namespace → parse → `message_parse`
 * hooks → complete attachment metadata → skip empty messages → history → `messageNew` signal.
 *
 * History: a client stores every non-empty message; a component only with `receiveHistory`.
 * Only clients signal `messageNew` (a component's listeners are its own plugins).
 */
import { completeAttachments } from './attachments.js';
import { normalizeComponentNamespace } from './component-namespace.js';
import { StanzaInvalidError } from './errors.js';
import type { HookContext, HookPoint, HookRegistry } from './hooks.js';
import { isEmptyMessage } from './is-empty.js';
import { bareJid } from './jid.js';
import type { MessageData } from './message-data.js';
import { type ParseDeps, parseMessage, stanzaFromText } from './parse-message.js';
import {
  callOutside,
  logFailure,
  type MessageNewSignal,
  type NotStoredReason,
  runStages,
  type Stage,
  type WorkflowLogger,
} from './pipeline.js';
import { isXmlElement, type XmlElement } from './xml.js';

/** Everything the receive path needs from its entity and the outside world. */
export interface ReceiveDeps extends ParseDeps {
  readonly hooks: HookRegistry;
  /** Writes the message to history (resolves when durable). */
  readonly storeHistory?: (message: MessageData) => unknown;
  readonly emit: (signal: MessageNewSignal) => void;
  /** Components store received messages only when set. */
  readonly receiveHistory: boolean;
  readonly logger?: WorkflowLogger;
}

/** What happened to a received stanza. */
export type ReceiveResult =
  | {
      readonly outcome: 'received';
      readonly message: MessageData;
      readonly stored: boolean;
      readonly notStoredReason?: NotStoredReason;
      readonly signalled: boolean;
    }
  | { readonly outcome: 'skipped-empty'; readonly message: MessageData }
  | {
      readonly outcome: 'cancelled';
      readonly stage: HookPoint;
      readonly plugin: string;
      readonly reason: string;
    };

/** State threaded through the receive stages. */
export interface ReceiveState {
  readonly stanza: XmlElement;
  readonly message?: MessageData;
  readonly stored?: boolean;
  readonly notStoredReason?: NotStoredReason;
}

type ReceiveStage = Stage<ReceiveState, ReceiveDeps, ReceiveResult>;

function ctxOf(deps: ReceiveDeps, stanza?: XmlElement): HookContext {
  const base = { ownJid: deps.ownJid, entityKind: deps.entityKind };
  return stanza === undefined ? base : { ...base, stanza };
}

/** The receive stages, in order. */
export const RECEIVE_STAGES: readonly ReceiveStage[] = [
  {
    name: 'hooks:messageReceived',
    async run(state, deps) {
      const point =
        deps.entityKind === 'component' ? 'messageReceivedComponent' : 'messageReceived';
      const r = await deps.hooks.run(point, state.stanza, ctxOf(deps));
      if (r.outcome === 'cancelled') {
        const { plugin, reason } = r;
        deps.logger?.debug({ plugin, reason }, 'message reception cancelled');
        return { done: { outcome: 'cancelled', stage: point, plugin, reason } };
      }
      if (!isXmlElement(r.message)) throw new StanzaInvalidError('a hook returned a non-element');
      return { next: { ...state, stanza: r.message } };
    },
  },
  {
    name: 'normalise-namespace',
    run(state, deps) {
      if (deps.entityKind !== 'component') return { next: state };
      return { next: { ...state, stanza: normalizeComponentNamespace(state.stanza) } };
    },
  },
  {
    name: 'parse',
    run(state, deps) {
      return { next: { ...state, message: parseMessage(state.stanza, deps) } };
    },
  },
  {
    name: 'hooks:message_parse',
    async run(state, deps) {
      const message = state.message!;
      const r = await deps.hooks.run('message_parse', message, ctxOf(deps, state.stanza));
      if (r.outcome === 'cancelled') {
        const { plugin, reason } = r;
        deps.logger?.debug({ uid: message.uid, plugin, reason }, 'message parse cancelled');
        return { done: { outcome: 'cancelled', stage: 'message_parse', plugin, reason } };
      }
      return { next: { ...state, message: r.message } };
    },
  },
  {
    name: 'attachments',
    run(state) {
      return { next: { ...state, message: completeAttachments(state.message!) } };
    },
  },
  {
    name: 'skip-empty',
    run(state, deps) {
      const message = state.message!;
      if (!isEmptyMessage(message)) return { next: state };
      deps.logger?.debug({ uid: message.uid }, 'empty message, not stored');
      return { done: { outcome: 'skipped-empty', message } };
    },
  },
  {
    name: 'history',
    async run(state, deps) {
      const message = state.message!;
      const reason = receiveHistoryDecision(deps);
      if (reason !== undefined)
        return { next: { ...state, stored: false, notStoredReason: reason } };
      const store = deps.storeHistory!;
      await callOutside('history', () => store(message));
      return { next: { ...state, stored: true } };
    },
  },
  {
    name: 'signal',
    async run(state, deps) {
      const message = state.message!;
      const signal = deps.entityKind === 'client';
      if (signal) {
        // What the account itself sent (a carbon copy from its other device, XEP-0280 §6) is
        // the profile's outgoing traffic even though it arrives on the stream.
        const direction = isFromAccount(message.from, deps.ownJid) ? 'out' : 'in';
        await callOutside('signal', () => deps.emit({ type: 'messageNew', direction, message }));
      }
      const { stored = false, notStoredReason } = state;
      return {
        done: {
          outcome: 'received',
          message,
          stored,
          ...(notStoredReason === undefined ? {} : { notStoredReason }),
          signalled: signal,
        },
      };
    },
  },
];

/** Whether `from` is the account of `ownJid` (same bare JID; both already normalised). */
function isFromAccount(from: string, ownJid: string): boolean {
  try {
    return bareJid(from) === bareJid(ownJid);
  } catch {
    return false;
  }
}

/** Why a received (non-empty) message is not stored, or `undefined` when it is. */
export function receiveHistoryDecision(
  deps: Pick<ReceiveDeps, 'entityKind' | 'receiveHistory' | 'storeHistory'>,
): NotStoredReason | undefined {
  if (deps.entityKind === 'component' && !deps.receiveHistory) return 'history-disabled';
  if (deps.storeHistory === undefined) return 'no-storage';
  return undefined;
}

/**
 * Runs a received stanza (an element, or XML text) through every stage.
 *
 * @throws StanzaInvalidError for invalid stanzas, HookError, StageError — a cancel or an
 *   empty message is a result.
 * @example
 * const r = await runReceivePipeline(stanza, deps);
 * if (r.outcome === 'received' && r.stored) metrics.stored++;
 */
export async function runReceivePipeline(
  stanza: XmlElement | string,
  deps: ReceiveDeps,
): Promise<ReceiveResult> {
  return logFailure(deps.logger, 'message reception', async () => {
    const element = typeof stanza === 'string' ? stanzaFromText(stanza) : stanza;
    if (!isXmlElement(element)) throw new StanzaInvalidError('not an XML element');
    return runStages(RECEIVE_STAGES, { stanza: element }, deps);
  });
}
