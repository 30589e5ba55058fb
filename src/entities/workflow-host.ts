/**
 * Hosts the message workflow for one entity: runs the send and receive pipelines with the
 * entity's hooks, writes history through one {@link HistoryWriter}, and announces messages.
 *
 * When `messageNew` fires: after the message's history row is durable (storage acknowledged
 * it), or at once when the message is not stored (a component without history, for instance).
 * A failed write is logged and the message is not announced. The sender's reply follows the
 * same rule: `send` returns the result together with the promise its caller must wait for.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { KernelLogger } from '../actors/types.js';
import type { Clock } from '../util/clock.js';
import type { HookRegistry } from '../workflow/hooks.js';
import type { MessageData } from '../workflow/message-data.js';
import type { MessageNewSignal } from '../workflow/pipeline.js';
import { type ReceiveResult, runReceivePipeline } from '../workflow/receive-pipeline.js';
import {
  runSendPipeline,
  type SendRequest,
  type SendResult,
  type TransmitPayload,
} from '../workflow/send-pipeline.js';
import type { HistoryWriter } from './history-writer.js';

/** A message stored or sent by an entity, as the `messageNew` event carries it. */
export type MessageNewEvent = MessageData & {
  /** The profile or component name. */
  readonly profile: string;
  readonly direction: 'in' | 'out';
};

export interface WorkflowHostDeps {
  readonly kind: 'client' | 'component';
  readonly name: string;
  readonly hooks: HookRegistry;
  readonly history: HistoryWriter;
  /** Client: true; component: its `sendHistory` / `receiveHistory` flags. */
  readonly sendHistory: boolean;
  readonly receiveHistory: boolean;
  readonly onMessageNew: (event: MessageNewEvent) => void;
  readonly log: KernelLogger;
}

/** What changes from one message to the next: the entity's JID and the actor's clock. */
export interface MessageContext {
  readonly ownJid: string;
  readonly clock: Clock;
}

export interface WorkflowHost {
  /** Runs a received `<message/>`; a bad stanza or a throwing hook is logged, never thrown. */
  receive(element: Element, context: MessageContext): Promise<ReceiveResult | undefined>;
  /**
   * Runs a send; rejects with the pipeline's failure. `durable` settles when the caller may be
   * told "sent" (the history row is durable, or nothing was stored).
   */
  send(
    request: SendRequest,
    context: MessageContext & {
      readonly sendOnly: boolean;
      readonly transmit: (out: TransmitPayload) => Promise<void>;
    },
  ): Promise<{ readonly result: SendResult; readonly durable: Promise<void> }>;
}

export function createWorkflowHost(deps: WorkflowHostDeps): WorkflowHost {
  const { log } = deps;

  /** The pipeline deps of one message; `durable` is that message's history write. */
  const forMessage = (context: MessageContext) => {
    let durable: Promise<void> = Promise.resolve();
    return {
      durable: () => durable,
      deps: {
        hooks: deps.hooks,
        ownJid: context.ownJid,
        entityKind: deps.kind,
        newUid: () => randomUUID(),
        clock: context.clock,
        logger: log,
        storeHistory: async (message: MessageData) => {
          ({ durable } = await deps.history.write(message));
        },
        emit: (signal: MessageNewSignal) => {
          durable.then(
            () =>
              deps.onMessageNew({
                ...signal.message,
                profile: deps.name,
                direction: signal.direction,
              }),
            (error: unknown) =>
              log.error(
                { err: error, uid: signal.message.uid },
                'history write failed; message not signalled',
              ),
          );
        },
      },
    };
  };

  return {
    async receive(element, context) {
      try {
        return await runReceivePipeline(element, {
          ...forMessage(context).deps,
          receiveHistory: deps.receiveHistory,
        });
      } catch (error) {
        // A bad stanza or a throwing hook fails that one message; the connection stays up.
        log.warn({ err: error, from: element.attrs.from }, 'incoming message failed');
        return undefined;
      }
    },
    async send(request, context) {
      const message = forMessage(context);
      const result = await runSendPipeline(request, {
        ...message.deps,
        // No plugin tells rooms apart yet: `auto` never guesses groupchat.
        isRoom: () => false,
        sendHistory: deps.sendHistory,
        sendOnly: context.sendOnly,
        transmit: context.transmit,
      });
      return { result, durable: message.durable() };
    },
  };
}
