import { AviaryError } from '../errors.js';

/** A `reject`-policy mailbox is full: the message was not enqueued. */
export class MailboxFullError extends AviaryError<'actor.mailbox-full'> {
  constructor(actorId: string, capacity: number) {
    super('actor.mailbox-full', `mailbox of ${actorId} is full (capacity ${capacity})`, {
      details: { actorId, capacity },
    });
    this.name = 'MailboxFullError';
  }
}

/** No reply arrived within the ask's timeout. */
export class AskTimeoutError extends AviaryError<'actor.ask-timeout'> {
  constructor(actorId: string, timeoutMs: number) {
    super('actor.ask-timeout', `${actorId} did not reply within ${timeoutMs} ms`, {
      details: { actorId, timeoutMs },
    });
    this.name = 'AskTimeoutError';
  }
}

/** The caller aborted the ask through its AbortSignal. */
export class AskAbortedError extends AviaryError<'actor.ask-aborted'> {
  constructor(actorId: string, reason: unknown) {
    super('actor.ask-aborted', `ask to ${actorId} was aborted`, {
      cause: reason,
      details: { actorId },
    });
    this.name = 'AskAbortedError';
  }
}

/** The target is stopped (or stopping and rejecting its queue): the message was not handled. */
export class ActorStoppedError extends AviaryError<'actor.stopped'> {
  constructor(actorId: string) {
    super('actor.stopped', `${actorId} is stopped; the message was not handled`, {
      details: { actorId },
    });
    this.name = 'ActorStoppedError';
  }
}

/** The actor failed (threw, or its worker thread died) while the message was pending. */
export class ActorFailedError extends AviaryError<'actor.failed'> {
  constructor(actorId: string, cause: unknown) {
    super(
      'actor.failed',
      `${actorId} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
        details: { actorId },
      },
    );
    this.name = 'ActorFailedError';
  }
}
