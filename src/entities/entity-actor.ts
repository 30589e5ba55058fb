import type { Element } from '@xmpp/xml';
import type { ActorContext, Behavior, KernelLogger, ReplyTo } from '../actors/types.js';
import { AviaryError, isAviaryError } from '../errors.js';
import type { SendRequest, SendResult } from '../workflow/send-pipeline.js';
import { parseXml } from '../workflow/xml.js';
import type { Backoff } from '../xmpp/backoff.js';
import type { TokenBucket } from '../xmpp/token-bucket.js';
import {
  type AttemptFailure,
  INITIAL_LIFECYCLE,
  type LifecycleEffect,
  type LifecycleEvent,
  type LifecycleState,
  transition,
} from './connection-lifecycle.js';
import type { EntityConnection, EntityState } from './entity-connection.js';
import type { EntityExtensions } from './entity-extensions.js';
import { InboundFlow } from './inbound-flow.js';
import type { WorkflowHost } from './workflow-host.js';

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
  /** The last failure (kept after a recovery, until a newer one), when there was one. */
  readonly lastError?: EntityFailure;
}

/** One failure of an entity: a catalogued error code, its message, and when (ISO 8601). */
export interface EntityFailure {
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

/** The failure record of `error`: its own code when it is coded, else `fallback`. */
export function entityFailure(error: unknown, fallback: string, at: number): EntityFailure {
  return {
    code: isAviaryError(error) ? error.code : fallback,
    message: error instanceof Error ? error.message : String(error ?? fallback),
    at: new Date(at).toISOString(),
  };
}

/** Everything an entity actor needs, as one named object. */
export interface EntityActorDeps {
  readonly kind: 'client' | 'component';
  readonly name: string;
  /** The configured JID (bare for clients, the domain for components). */
  readonly jid: string;
  readonly createConnection: () => EntityConnection;
  /** The message workflow of this entity (hooks, history, `messageNew`). */
  readonly workflow: WorkflowHost;
  /** The plugins' stanza middleware, IQ handlers and on-online hooks. */
  readonly extensions: EntityExtensions;
  readonly loginLimiter: TokenBucket;
  readonly backoff: Backoff;
  readonly onState: (status: EntityStatus) => void;
  /** The actor's mailbox capacity; incoming stanzas leave a part of it to control messages. */
  readonly mailboxCapacity: number;
  readonly log: KernelLogger;
  /** Connect when the actor starts (autoconnect). */
  readonly autoconnect: boolean;
}

/** A stream closed because another session took the resource (RFC 6120 §4.9.3.3). */
export function isConflict(error: unknown): boolean {
  return (
    isAviaryError(error, 'xmpp.stream-error') &&
    (error.details as { condition?: unknown } | undefined)?.condition === 'conflict'
  );
}

/** How a failed login attempt is taken (see the life cycle's table). */
export function attemptFailure(error: unknown): AttemptFailure {
  if (
    isAviaryError(error, 'xmpp.auth-failed') ||
    isAviaryError(error, 'xmpp.component-auth-failed')
  )
    return 'auth';
  if (isAviaryError(error, 'xmpp.rate-limit-aborted') || isAviaryError(error, 'xmpp.disconnected'))
    return 'aborted';
  return 'transient';
}

/**
 * One profile or component as an actor: the connection life cycle (a transition table, see
 * `connection-lifecycle.ts`) plus the workflow host. Invariants:
 * - workflow stages and plugin middleware run inside the actor's turn, so one entity's hooks run
 *   one at a time, in order (incoming stanzas become `stanza` messages in the tick they are parsed);
 * - connecting, retrying and IQ round trips never block the mailbox: they run in the background
 *   and report back as messages tagged with their attempt, so stale reports are ignored;
 * - each attempt takes a token from the runtime-wide login limiter.
 */
export function makeEntityActor(deps: EntityActorDeps): Behavior<EntityMessage> {
  const log = deps.log;
  let life: LifecycleState = INITIAL_LIFECYCLE;
  /** The last failure; a report of a stale attempt does not count. */
  let lastError: EntityFailure | undefined;
  let connection: EntityConnection | undefined;
  let cancelRetry: (() => void) | undefined;
  let abortLogin: AbortController | undefined;
  let detach: (() => void)[] = [];
  /** Unsubscribes the current connection's stanza handler (kept apart: see the `close` effect). */
  let detachStanzas: (() => void) | undefined;
  let inbound: InboundFlow | undefined;
  const inboundFlow = (ctx: ActorContext<EntityMessage>): InboundFlow => {
    // Stanzas may fill the mailbox up to capacity minus a reserve for control messages.
    const reserve = Math.min(64, Math.floor(deps.mailboxCapacity / 4));
    const highWater = Math.max(1, deps.mailboxCapacity - reserve);
    inbound ??= new InboundFlow({
      highWater,
      lowWater: Math.floor(highWater / 2),
      mailboxSize: () => ctx.self.mailboxSize,
      accepting: () => ctx.self.accepting,
      deliver: (element) => ctx.self.tell({ type: 'stanza', element }),
      clock: ctx.clock,
      log,
    });
    return inbound;
  };

  /**
   * Life-cycle reports must arrive: when the mailbox is full they are offered again shortly
   * (never thrown out of a socket callback or a background login).
   */
  const report = (message: EntityMessage, ctx: ActorContext<EntityMessage>) => {
    try {
      ctx.self.tell(message);
    } catch {
      if (life.phase !== 'stopped') ctx.clock.setTimeout(() => report(message, ctx), 50);
    }
  };

  const status = (): EntityStatus => ({
    kind: deps.kind,
    name: deps.name,
    jid: connection?.jid ?? deps.jid,
    state: life.phase,
    ...(life.reason !== undefined ? { reason: life.reason } : {}),
    reconnectAttempts: life.failures,
    ...(lastError !== undefined ? { lastError } : {}),
  });

  const release = () => {
    detachStanzas?.();
    detachStanzas = undefined;
    for (const off of detach) off();
    detach = [];
  };

  /** Handles the stanzas waiting outside the mailbox (the actor's last turn, while stopping). */
  const handleBacklog = async (ctx: ActorContext<EntityMessage>) => {
    for (let batch = inbound?.takeBacklog() ?? []; batch.length > 0; ) {
      for (const element of batch)
        await deps.extensions.runStanza(element, (stanza) => handleStanza(stanza, ctx));
      batch = inbound?.takeBacklog() ?? [];
    }
  };

  /** Feeds the life cycle one event and carries out its effects, in order. */
  const apply = async (event: LifecycleEvent, ctx: ActorContext<EntityMessage>) => {
    const step = transition(life, event);
    life = step.state;
    for (const effect of step.effects) await perform(effect, ctx);
    if (step.announce) deps.onState(status());
  };

  const perform = async (effect: LifecycleEffect, ctx: ActorContext<EntityMessage>) => {
    switch (effect.type) {
      case 'open':
        open(effect.attempt, ctx);
        return;
      case 'retry-later': {
        const delay = deps.backoff.delay(effect.failures);
        cancelRetry = ctx.clock.setTimeout(
          () => ctx.self.tell({ type: 'retry', attempt: effect.attempt }),
          delay,
        );
        log.info(
          { delayMs: delay, failures: effect.failures + 1, reason: life.reason },
          'reconnecting after backoff',
        );
        return;
      }
      case 'discard': {
        release();
        const failed = connection;
        connection = undefined;
        void failed?.disconnect().catch(() => undefined);
        if (life.phase === 'auth-failed')
          log.warn({ reason: life.reason }, 'authentication failed; not retrying');
        return;
      }
      case 'forget':
        release();
        connection = undefined;
        return;
      case 'close': {
        cancelRetry?.();
        cancelRetry = undefined;
        abortLogin?.abort();
        // What the server sends until it reads our closing tag was, to the server, delivered
        // (RFC 6120 §4.4: the closing side still reads until the peer's closing tag): keep
        // taking stanzas until the close ends; only the status reports stop now.
        const stanzasOff = detachStanzas;
        detachStanzas = undefined;
        release();
        const closing = connection;
        connection = undefined;
        await closing
          ?.disconnect()
          .catch((error: unknown) => log.debug({ err: error }, 'disconnect failed'));
        stanzasOff?.();
        return;
      }
    }
  };

  /** Starts attempt `attempt` in the background; it reports back as `attempt-done`. */
  const open = (attempt: number, ctx: ActorContext<EntityMessage>) => {
    cancelRetry?.();
    cancelRetry = undefined;
    release();
    const conn = deps.createConnection();
    connection = conn;
    // Stanzas become actor messages in the tick they are parsed, in order; when the mailbox
    // fills they wait and the socket stops being read (see inbound-flow.ts).
    const flow = inboundFlow(ctx);
    flow.attach(conn);
    detachStanzas = conn.onStanza((element) => flow.offer(element));
    detach.push(
      conn.onStatus((connStatus, error) => {
        if (connStatus === 'offline') report({ type: 'dropped', attempt, error }, ctx);
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
        report({ type: 'attempt-done', attempt }, ctx);
      } catch (error) {
        report({ type: 'attempt-done', attempt, error }, ctx);
      } finally {
        // Only the wait for a login token listens to it: a finished attempt has nothing left to
        // abort, and an idle entity keeps no controller (with its signal, ~0.7 KB).
        if (abortLogin === controller) abortLogin = undefined;
      }
    })();
  };

  /** The live connection, or a reply of `entity.offline`. */
  const onlineConnection = <R>(replyTo: ReplyTo<R>, ctx: ActorContext<EntityMessage>) => {
    if (connection !== undefined && life.phase === 'online') return connection;
    ctx.replyError(replyTo, new AviaryError('entity.offline', `${deps.name} is ${life.phase}`));
    return undefined;
  };

  /** Built-in handling after the plugins' middleware: messages to the workflow, IQs answered. */
  const handleStanza = async (element: Element, ctx: ActorContext<EntityMessage>) => {
    if (element.name === 'message') {
      await deps.workflow.receive(element, { ownJid: status().jid ?? deps.jid, clock: ctx.clock });
      return;
    }
    if (element.name !== 'iq' || (element.attrs.type !== 'get' && element.attrs.type !== 'set'))
      return;
    const reply = await deps.extensions.answerIq(element);
    connection
      ?.send(reply)
      .catch((error: unknown) => log.debug({ err: error }, 'iq reply not sent'));
  };

  const sendMessage = async (
    message: Extract<EntityMessage, { type: 'send-message' }>,
    ctx: ActorContext<EntityMessage>,
  ) => {
    if (!message.sendOnly && (connection === undefined || life.phase !== 'online')) {
      ctx.replyError(
        message.replyTo,
        new AviaryError('entity.offline', `${deps.name} is ${life.phase}; connect it first`),
      );
      return;
    }
    try {
      const { result, durable } = await deps.workflow.send(message.request, {
        ownJid: status().jid ?? deps.jid,
        clock: ctx.clock,
        sendOnly: message.sendOnly === true,
        transmit: async (out) => {
          if (connection === undefined)
            throw new AviaryError('entity.offline', `${deps.name} went offline`);
          await connection.send(out.element ?? parseXml(out.xml));
        },
      });
      // The caller hears "sent" once the history row is durable (or of the write's failure).
      durable.then(
        () => ctx.reply(message.replyTo, result),
        (error: unknown) => ctx.replyError(message.replyTo, error),
      );
    } catch (error) {
      // A failed send (hook error, connection lost mid-write, storage refusal) is that
      // caller's error; the entity keeps running and reconnects if the stream died.
      ctx.replyError(message.replyTo, error);
    }
  };

  const reasonOf = (error: unknown, fallback: string) =>
    error instanceof Error ? error.message : error === undefined ? fallback : String(error);

  return {
    async started(ctx) {
      if (deps.autoconnect) await apply({ type: 'connect' }, ctx);
    },
    async receive(message, ctx) {
      try {
        await handle(message, ctx);
      } finally {
        inbound?.pump();
      }
    },
    async stopped(ctx) {
      // Stanzas the server already handed over are handled before the connection closes; those
      // read while it closes (the mailbox no longer accepts) wait in the backlog, handled after.
      await handleBacklog(ctx);
      await apply({ type: 'stop' }, ctx);
      await handleBacklog(ctx);
    },
  };

  async function handle(message: EntityMessage, ctx: ActorContext<EntityMessage>) {
    switch (message.type) {
      case 'connect':
        await apply({ type: 'connect' }, ctx);
        return;
      case 'disconnect':
        await apply({ type: 'disconnect' }, ctx);
        if (message.replyTo) ctx.reply(message.replyTo, null);
        return;
      case 'attempt-done':
        // An attempt cancelled by our own stop is no failure of the entity.
        if (
          message.error !== undefined &&
          message.attempt === life.attempt &&
          attemptFailure(message.error) !== 'aborted'
        )
          lastError = entityFailure(message.error, 'xmpp.connection-failed', ctx.clock.now());
        await apply(
          message.error === undefined
            ? { type: 'attempt-succeeded', attempt: message.attempt }
            : {
                type: 'attempt-failed',
                attempt: message.attempt,
                failure: attemptFailure(message.error),
                reason: reasonOf(message.error, 'connection failed'),
              },
          ctx,
        );
        return;
      case 'dropped':
        if (message.attempt === life.attempt)
          lastError = entityFailure(
            message.error ?? new Error('connection closed'),
            'xmpp.connection-closed',
            ctx.clock.now(),
          );
        await apply(
          {
            type: isConflict(message.error) ? 'superseded' : 'dropped',
            attempt: message.attempt,
            reason: message.error instanceof Error ? message.error.message : 'connection closed',
          },
          ctx,
        );
        return;
      case 'retry':
        await apply({ type: 'retry-due', attempt: message.attempt }, ctx);
        return;
      case 'stanza':
        await deps.extensions.runStanza(message.element, (stanza) => handleStanza(stanza, ctx));
        return;
      case 'send-stanza': {
        const conn = onlineConnection(message.replyTo, ctx);
        conn?.send(message.element).then(
          () => ctx.reply(message.replyTo, null),
          (error: unknown) => ctx.replyError(message.replyTo, error),
        );
        return;
      }
      case 'send-message':
        await sendMessage(message, ctx);
        return;
      case 'iq': {
        // The round trip runs outside the turn: the mailbox keeps flowing meanwhile.
        const conn = onlineConnection(message.replyTo, ctx);
        conn?.iq(message.element, message.timeoutMs).then(
          (reply) => ctx.reply(message.replyTo, reply),
          (error: unknown) => ctx.replyError(message.replyTo, error),
        );
        return;
      }
      case 'state':
        ctx.reply(message.replyTo, status());
        return;
    }
  }
}
