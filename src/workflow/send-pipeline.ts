/**
 * The send path of the message workflow, as an ordered list of stages:
 *
 * `sendMessage` hooks (may modify or cancel) → pre-XML stages → build the `<message/>` →
 * post-XML stages → `sendMessageData` hooks (cannot cancel; encryption rewrites the payload
 * here) → `send` hook (last look before the wire) → transmit → history → `messageNew` signal.
 *
 * History: a client stores every sent message except groupchat ones (the room echoes them
 * back and they are stored then); a component stores only with `sendHistory`. Empty messages
 * (see {@link isEmptyMessage}) are neither stored nor signalled. `sendOnly` skips hooks,
 * storage and the signal: the stanza is built and transmitted, nothing else.
 */
import type { Clock } from '../util/clock.js';
import { type BuildDeps, buildMessage } from './build-message.js';
import { MessageInvalidError } from './errors.js';
import type { HookPoint, HookRegistry } from './hooks.js';
import { isEmptyMessage } from './is-empty.js';
import type { MessageData } from './message-data.js';
import {
  callOutside,
  logFailure,
  type MessageNewSignal,
  type NotStoredReason,
  runStages,
  type Stage,
  type WorkflowLogger,
} from './pipeline.js';
import { messageFromRequest, type SendRequest } from './send-request.js';

// Re-exported: callers import the request type with the pipeline.
export { messageFromRequest, type SendRequest };

import type { Element } from '../util/stanza-xml.js';

/** A message-data stage run before the build (Libervia's pre-XML treatments). */
export interface MessageStage {
  readonly name: string;
  readonly run: (message: MessageData) => MessageData | Promise<MessageData>;
}

/** A stage run on the built element before serialisation (post-XML treatments). */
export interface XmlStage {
  readonly name: string;
  readonly run: (built: {
    readonly message: MessageData;
    readonly element: Element;
  }) => Element | Promise<Element>;
}

/** What `transmit` receives. */
export interface TransmitPayload {
  /** The stanza to write, as XML text (authoritative). */
  readonly xml: string;
  readonly message: MessageData;
  /**
   * The built element, when no hook changed the XML text after it was built (so the caller
   * can hand it to the connection without parsing `xml` again).
   */
  readonly element?: Element;
}

/** Everything the send path needs from its entity and the outside world. */
export interface SendDeps extends BuildDeps {
  readonly hooks: HookRegistry;
  readonly ownJid: string;
  readonly entityKind: 'client' | 'component';
  /** Writes the stanza to the connection. */
  readonly transmit: (out: TransmitPayload) => unknown;
  /** Writes the message to history (resolves when durable). */
  readonly storeHistory?: (message: MessageData) => unknown;
  readonly emit: (signal: MessageNewSignal) => void;
  readonly newUid: () => string;
  readonly clock: Clock;
  /** Components store sent messages only when set. */
  readonly sendHistory: boolean;
  /** Build and transmit only: no hooks, no storage, no signal. */
  readonly sendOnly?: boolean;
  readonly preXml?: readonly MessageStage[];
  readonly postXml?: readonly XmlStage[];
  readonly logger?: WorkflowLogger;
}

/** What happened to a send request. */
export type SendResult =
  | {
      readonly outcome: 'sent';
      /** The message as transmitted (`xml` set). */
      readonly message: MessageData;
      readonly stored: boolean;
      readonly notStoredReason?: NotStoredReason;
      readonly signalled: boolean;
    }
  | {
      readonly outcome: 'cancelled';
      readonly stage: HookPoint;
      readonly plugin: string;
      readonly reason: string;
      readonly message: MessageData;
    };

/** State threaded through the send stages. */
export interface SendState {
  readonly message: MessageData;
  readonly element?: Element;
  /** The serialisation of `element` (hooks may replace `message.xml` afterwards). */
  readonly elementXml?: string;
  readonly stored?: boolean;
  readonly notStoredReason?: NotStoredReason;
}

type SendStage = Stage<SendState, SendDeps, SendResult>;

function hookStage(point: 'sendMessage' | 'sendMessageData' | 'send'): SendStage {
  return {
    name: `hooks:${point}`,
    skippedWhenSendOnly: true,
    async run(state, deps) {
      const actual: HookPoint =
        point === 'sendMessage' && deps.entityKind === 'component' ? 'sendMessageComponent' : point;
      const ctx = { ownJid: deps.ownJid, entityKind: deps.entityKind };
      const r = await deps.hooks.run(actual, state.message, ctx);
      if (r.outcome === 'cancelled') {
        const { reason, plugin } = r;
        deps.logger?.debug({ uid: state.message.uid, plugin, reason }, 'message send cancelled');
        return {
          done: { outcome: 'cancelled', stage: actual, plugin, reason, message: state.message },
        };
      }
      return { next: { ...state, message: r.message } };
    },
  };
}

/** The send stages, in order. */
export const SEND_STAGES: readonly SendStage[] = [
  hookStage('sendMessage'),
  {
    name: 'pre-xml',
    async run(state, deps) {
      let message = state.message;
      for (const stage of deps.preXml ?? []) message = await stage.run(message);
      return { next: { ...state, message } };
    },
  },
  {
    name: 'build',
    run(state, deps) {
      const { element, message, xml } = buildMessage(state.message, deps);
      return { next: { ...state, element, elementXml: xml, message } };
    },
  },
  {
    name: 'post-xml',
    async run(state, deps) {
      const stages = deps.postXml ?? [];
      // The build already serialised the element: only re-serialise after changes.
      if (stages.length === 0) return { next: state };
      let element = state.element!;
      for (const stage of stages) element = await stage.run({ message: state.message, element });
      const xml = element.toString();
      return { next: { ...state, element, elementXml: xml, message: { ...state.message, xml } } };
    },
  },
  hookStage('sendMessageData'),
  hookStage('send'),
  {
    name: 'transmit',
    async run(state, deps) {
      const xml = state.message.xml;
      if (xml === undefined) throw new MessageInvalidError('a hook removed the built stanza');
      const element = state.elementXml === xml ? state.element : undefined;
      const out =
        element === undefined
          ? { xml, message: state.message }
          : { xml, message: state.message, element };
      await callOutside('transmit', () => deps.transmit(out));
      return { next: state };
    },
  },
  {
    name: 'history',
    skippedWhenSendOnly: true,
    async run(state, deps) {
      const reason = sendHistoryDecision(state.message, deps);
      if (reason !== undefined) {
        if (reason === 'empty') deps.logger?.debug({ uid: state.message.uid }, 'empty, not stored');
        return { next: { ...state, stored: false, notStoredReason: reason } };
      }
      const store = deps.storeHistory!;
      await callOutside('history', () => store(state.message));
      return { next: { ...state, stored: true } };
    },
  },
  {
    name: 'signal',
    async run(state, deps) {
      const message = state.message;
      // Groupchat messages are announced when the room echoes them back.
      const signal =
        deps.sendOnly !== true && message.type !== 'groupchat' && !isEmptyMessage(message);
      if (signal) {
        await callOutside('signal', () =>
          deps.emit({ type: 'messageNew', direction: 'out', message }),
        );
      }
      const stored = state.stored ?? false;
      const notStoredReason = deps.sendOnly === true ? 'send-only' : state.notStoredReason;
      return {
        done: {
          outcome: 'sent',
          message,
          stored,
          ...(notStoredReason === undefined ? {} : { notStoredReason }),
          signalled: signal,
        },
      };
    },
  },
];

/** Why a sent message is not stored, or `undefined` when it is. */
export function sendHistoryDecision(
  message: MessageData,
  deps: Pick<SendDeps, 'entityKind' | 'sendHistory' | 'storeHistory'>,
): NotStoredReason | undefined {
  if (isEmptyMessage(message)) return 'empty';
  if (message.type === 'groupchat') return 'groupchat';
  if (deps.entityKind === 'component' && !deps.sendHistory) return 'history-disabled';
  if (deps.storeHistory === undefined) return 'no-storage';
  return undefined;
}

/**
 * Sends a message through every stage.
 *
 * @throws MessageInvalidError, HookError, StageError — real failures; a cancel is a result.
 * @example
 * const r = await runSendPipeline({ to: 'romeo@montague.lit', message: { '': 'hi' } }, deps);
 * if (r.outcome === 'sent') r.message.uid;
 */
export async function runSendPipeline(request: SendRequest, deps: SendDeps): Promise<SendResult> {
  return logFailure(deps.logger, 'message send', async () => {
    const message = messageFromRequest(request, deps);
    return runStages(SEND_STAGES, { message }, deps, { sendOnly: deps.sendOnly === true });
  });
}
