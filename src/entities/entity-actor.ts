import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { Clock } from '../actors/clock.js';
import type { ActorContext, Behavior, ReplyTo } from '../actors/types.js';
import { AviaryError, isAviaryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HookRegistry } from '../workflow/hooks.js';
import type { MessageNewSignal } from '../workflow/pipeline.js';
import { type ReceiveResult, runReceivePipeline } from '../workflow/receive-pipeline.js';
import { runSendPipeline, type SendRequest, type SendResult } from '../workflow/send-pipeline.js';
import { parseXml } from '../workflow/xml.js';
import type { Backoff } from '../xmpp/backoff.js';
import type { TokenBucket } from '../xmpp/token-bucket.js';
import type { EntityConnection, EntityState } from './entity-connection.js';
import type { EntityExtensions } from './entity-extensions.js';
import { historyAddRequest } from './history-record.js';

/** History writes one entity may have in flight before it waits (see `workflowBase`). */
const MAX_WRITES_IN_FLIGHT = 16;

export type EntityMessage =
  | { readonly type: 'connect' }
  | { readonly type: 'disconnect'; readonly replyTo?: ReplyTo<null> }
  | { readonly type: 'attempt-done'; readonly attempt: number; readonly error?: unknown }
  | { readonly type: 'dropped'; readonly attempt: number; readonly error?: unknown }
  | { readonly type: 'retry'; readonly attempt: number }
  | { readonly type: 'stanza'; readonly element: Element }
  | { readonly type: 'send-stanza'; readonly element: Element; readonly replyTo: ReplyTo<null> }
  | {
      readonly type: 'send-message';
      readonly request: SendRequest;
      readonly sendOnly?: boolean;
      readonly replyTo: ReplyTo<SendResult>;
    }
  | {
      readonly type: 'iq';
      readonly element: Element;
      readonly timeoutMs?: number;
      readonly replyTo: ReplyTo<Element>;
    }
  | { readonly type: 'state'; readonly replyTo: ReplyTo<EntityStatus> };

export interface EntityStatus {
  readonly kind: 'client' | 'component';
  readonly name: string;
  readonly jid: string | undefined;
  readonly state: EntityState;
  readonly reason?: string;
  readonly reconnectAttempts: number;
}

/** Everything an entity actor needs, as one named object. */
export interface EntityActorDeps {
  readonly kind: 'client' | 'component';
  readonly name: string;
  /** The configured JID (bare for clients, the domain for components). */
  readonly jid: string;
  readonly createConnection: () => EntityConnection;
  readonly hooks: HookRegistry;
  readonly storeHistory: (
    profile: string,
    request: ReturnType<typeof historyAddRequest>,
  ) => Promise<unknown>;
  /** Client: true; component: its `sendHistory` / `receiveHistory` flags. */
  readonly sendHistory: boolean;
  readonly receiveHistory: boolean;
  readonly loginLimiter: TokenBucket;
  readonly backoff: Backoff;
  readonly onState: (status: EntityStatus) => void;
  readonly onMessageNew: (profile: string, signal: MessageNewSignal) => void;
  /** The plugins' stanza middleware, IQ handlers and on-online hooks. */
  readonly extensions: EntityExtensions;
  readonly log: Logger;
  /** Connect when the actor starts (autoconnect). */
  readonly autoconnect: boolean;
}

/**
 * One profile or component as an actor. Invariants:
 * - workflow stages run inside the actor's turn, so one entity's hooks run one at a time, in
 *   order (incoming stanzas are turned into `stanza` messages in the tick they are parsed);
 * - connecting, retrying and IQ round trips never block the mailbox: they run in the
 *   background and report back as messages tagged with the attempt they belong to, so stale
 *   reports are ignored;
 * - authentication failures are not retried (state `auth-failed`); other failures retry with
 *   exponential backoff and full jitter, each attempt taking a token from the runtime-wide
 *   login limiter.
 */
export function makeEntityActor(deps: EntityActorDeps): Behavior<EntityMessage> {
  let state: EntityState = 'offline';
  let reason: string | undefined;
  let connection: EntityConnection | undefined;
  let attempt = 0;
  let failures = 0;
  let cancelRetry: (() => void) | undefined;
  let abortLogin: AbortController | undefined;
  let detach: (() => void)[] = [];
  const log = deps.log;

  const status = (): EntityStatus => ({
    kind: deps.kind,
    name: deps.name,
    jid: connection?.jid ?? deps.jid,
    state,
    ...(reason !== undefined ? { reason } : {}),
    reconnectAttempts: failures,
  });
  const setState = (next: EntityState, why?: string) => {
    reason = why;
    if (next === state && why === undefined) return;
    state = next;
    deps.onState(status());
  };

  const release = () => {
    for (const off of detach) off();
    detach = [];
  };

  const startAttempt = (ctx: ActorContext<EntityMessage>) => {
    cancelRetry?.();
    cancelRetry = undefined;
    release();
    const current = ++attempt;
    setState(failures === 0 ? 'connecting' : 'reconnecting');
    const conn = deps.createConnection();
    connection = conn;
    // Stanzas become actor messages in the tick they are parsed: order is kept, and a flood
    // meets the bounded mailbox (refused stanzas are counted by the kernel and logged here).
    detach.push(
      conn.onStanza((element) => {
        try {
          ctx.self.tell({ type: 'stanza', element });
        } catch (error) {
          log.warn(
            { err: error, from: element.attrs.from },
            'incoming stanza dropped: mailbox full',
          );
        }
      }),
      conn.onStatus((connStatus, error) => {
        if (connStatus === 'offline') ctx.self.tell({ type: 'dropped', attempt: current, error });
      }),
    );
    const controller = new AbortController();
    abortLogin = controller;
    void (async () => {
      try {
        await deps.loginLimiter.acquire(controller.signal);
        await conn.connect();
        await deps.extensions.runOnline({
          jid: conn.jid,
          send: (element) => conn.send(element),
          iq: (element, timeoutMs) => conn.iq(element, timeoutMs),
        });
        ctx.self.tell({ type: 'attempt-done', attempt: current });
      } catch (error) {
        ctx.self.tell({ type: 'attempt-done', attempt: current, error });
      }
    })();
  };

  const scheduleRetry = (ctx: ActorContext<EntityMessage>, why: string) => {
    const delay = deps.backoff.delay(failures);
    failures++;
    setState('reconnecting', why);
    const retryAttempt = attempt;
    cancelRetry = ctx.clock.setTimeout(
      () => ctx.self.tell({ type: 'retry', attempt: retryAttempt }),
      delay,
    );
    log.info({ delayMs: delay, failures, reason: why }, 'reconnecting after backoff');
  };

  const disconnect = async () => {
    cancelRetry?.();
    cancelRetry = undefined;
    abortLogin?.abort();
    attempt++; // every report of the current attempt is now stale
    release();
    const conn = connection;
    connection = undefined;
    failures = 0;
    if (conn)
      await conn
        .disconnect()
        .catch((error: unknown) => log.debug({ err: error }, 'disconnect failed'));
  };

  /**
   * Workflow dependencies for one message. History writes are pipelined: the write is handed to
   * the storage actor (whose mailbox keeps their order) and the actor moves on to its next
   * message instead of waiting a group commit per message. What must follow durability waits
   * for it: the `messageNew` signal and, on the send path, the caller's reply (`durable`).
   */
  const inFlightWrites = new Set<Promise<unknown>>();
  const workflowBase = (clock: Clock) => {
    const ownJid = connection?.jid ?? deps.jid;
    let durable: Promise<unknown> = Promise.resolve();
    return {
      hooks: deps.hooks,
      ownJid,
      entityKind: deps.kind,
      newUid: () => randomUUID(),
      clock,
      emit: (signal: MessageNewSignal) => {
        durable.then(
          () => deps.onMessageNew(deps.name, signal),
          (error: unknown) =>
            log.error(
              { err: error, uid: signal.message.uid },
              'history write failed; message not signalled',
            ),
        );
      },
      storeHistory: async (message: Parameters<typeof historyAddRequest>[1]) => {
        const write = deps.storeHistory(deps.name, historyAddRequest(deps.name, message));
        durable = write;
        inFlightWrites.add(write);
        const settle = () => inFlightWrites.delete(write);
        write.then(settle, settle); // failures are observed by the signal and the caller's reply
        // Bounded pipelining: past MAX_WRITES_IN_FLIGHT the entity waits for a write to finish,
        // so a fast entity cannot flood the storage mailbox.
        while (inFlightWrites.size >= MAX_WRITES_IN_FLIGHT) {
          await Promise.race([...inFlightWrites]).catch(() => undefined);
        }
      },
      durable: () => durable,
      logger: log,
    };
  };

  return {
    started(ctx) {
      if (deps.autoconnect) startAttempt(ctx);
    },
    async receive(message, ctx) {
      switch (message.type) {
        case 'connect':
          if (state === 'online' || state === 'connecting' || state === 'reconnecting') return;
          failures = 0;
          startAttempt(ctx);
          return;
        case 'disconnect':
          await disconnect();
          setState('offline');
          if (message.replyTo) ctx.reply(message.replyTo, null);
          return;
        case 'attempt-done': {
          if (message.attempt !== attempt) return;
          if (message.error === undefined) {
            failures = 0;
            setState('online');
            return;
          }
          const error = message.error;
          const text = error instanceof Error ? error.message : String(error);
          release();
          void connection?.disconnect().catch(() => undefined);
          connection = undefined;
          if (
            isAviaryError(error, 'xmpp.auth-failed') ||
            isAviaryError(error, 'xmpp.component-auth-failed')
          ) {
            log.warn({ reason: text }, 'authentication failed; not retrying');
            setState('auth-failed', text);
            return;
          }
          if (isAviaryError(error, 'xmpp.rate-limit-aborted')) return;
          scheduleRetry(ctx, text);
          return;
        }
        case 'dropped':
          if (message.attempt !== attempt || state !== 'online') return;
          release();
          connection = undefined;
          scheduleRetry(
            ctx,
            message.error instanceof Error ? message.error.message : 'connection closed',
          );
          return;
        case 'retry':
          if (message.attempt === attempt && state === 'reconnecting') startAttempt(ctx);
          return;
        case 'stanza':
          await deps.extensions.runStanza(message.element, (stanza) =>
            handleStanza(stanza, ctx.clock),
          );
          return;
        case 'send-stanza': {
          const conn = connection;
          if (conn === undefined || state !== 'online') {
            ctx.replyError(
              message.replyTo,
              new AviaryError('entity.offline', `${deps.name} is ${state}`),
            );
            return;
          }
          conn.send(message.element).then(
            () => ctx.reply(message.replyTo, null),
            (error: unknown) => ctx.replyError(message.replyTo, error),
          );
          return;
        }
        case 'send-message': {
          const conn = connection;
          if (!message.sendOnly && (conn === undefined || state !== 'online')) {
            ctx.replyError(
              message.replyTo,
              new AviaryError('entity.offline', `${deps.name} is ${state}; connect it first`),
            );
            return;
          }
          let result: SendResult;
          const base = workflowBase(ctx.clock);
          try {
            result = await runSendPipeline(message.request, {
              ...base,
              // No plugin tells rooms apart yet: `auto` never guesses groupchat.
              isRoom: () => false,
              sendHistory: deps.sendHistory,
              sendOnly: message.sendOnly === true,
              transmit: async (out) => {
                if (connection === undefined)
                  throw new AviaryError('entity.offline', `${deps.name} went offline`);
                await connection.send((out.element ?? parseXml(out.xml)) as unknown as Element);
              },
            });
          } catch (error) {
            // A failed send (hook error, connection lost mid-write, storage refusal) is that
            // caller's error; the entity keeps running and reconnects if the stream died.
            ctx.replyError(message.replyTo, error);
            return;
          }
          // The caller hears "sent" once the history row is durable (or of the write's failure).
          const sent = result;
          base.durable().then(
            () => ctx.reply(message.replyTo, sent),
            (error: unknown) => ctx.replyError(message.replyTo, error),
          );
          return;
        }
        case 'iq': {
          const conn = connection;
          if (conn === undefined || state !== 'online') {
            ctx.replyError(
              message.replyTo,
              new AviaryError('entity.offline', `${deps.name} is ${state}`),
            );
            return;
          }
          // The round trip runs outside the turn: the mailbox keeps flowing meanwhile.
          conn.iq(message.element, message.timeoutMs).then(
            (reply) => ctx.reply(message.replyTo, reply),
            (error: unknown) => ctx.replyError(message.replyTo, error),
          );
          return;
        }
        case 'state':
          ctx.reply(message.replyTo, status());
          return;
      }
    },
    async stopped() {
      await disconnect();
      setState('stopped');
    },
  };

  async function receiveMessage(
    element: Element,
    clock: Clock,
  ): Promise<ReceiveResult | undefined> {
    try {
      return await runReceivePipeline(element as never, {
        ...workflowBase(clock),
        receiveHistory: deps.receiveHistory,
      });
    } catch (error) {
      // A bad stanza or a throwing hook fails that one message; the connection stays up.
      log.warn({ err: error, from: element.attrs.from }, 'incoming message failed');
      return undefined;
    }
  }

  /** Built-in handling after the plugins' middleware: messages to the workflow, IQs answered. */
  async function handleStanza(element: Element, clock: Clock): Promise<void> {
    if (element.name === 'message') {
      await receiveMessage(element, clock);
      return;
    }
    if (element.name !== 'iq' || (element.attrs.type !== 'get' && element.attrs.type !== 'set'))
      return;
    const reply = await deps.extensions.answerIq(element);
    connection
      ?.send(reply)
      .catch((error: unknown) => log.debug({ err: error }, 'iq reply not sent'));
  }
}
