/**
 * Typed failures of the message workflow. Each carries a literal `code` and structured
 * `details`, so an actor can log them and a caller can branch on them after they cross a
 * thread boundary (see `serializeError` in `src/errors.ts`).
 */
import { AviaryError } from '../errors.js';

/**
 * A string that is not a valid JID (RFC 7622).
 *
 * @example
 * throw new JidError('no domain', '@example.org');
 */
export class JidError extends AviaryError<'jid.invalid'> {
  constructor(reason: string, jid: string, options: { cause?: unknown } = {}) {
    super('jid.invalid', `invalid JID ${JSON.stringify(jid)}: ${reason}`, {
      ...options,
      details: { reason, jid },
    });
    this.name = 'JidError';
  }
}

/**
 * An incoming stanza that cannot be turned into message data (malformed XML, wrong namespace,
 * invalid attribute). `details.reason` says why.
 *
 * @example
 * throw new StanzaInvalidError('invalid type "chatty"');
 */
export class StanzaInvalidError extends AviaryError<'stanza.invalid'> {
  constructor(reason: string, options: { cause?: unknown } = {}) {
    super('stanza.invalid', `invalid stanza: ${reason}`, { ...options, details: { reason } });
    this.name = 'StanzaInvalidError';
  }
}

/**
 * Outgoing message data that cannot be built into a `<message/>` (a thread parent without a
 * thread, an invalid type, a bad JID).
 *
 * @example
 * throw new MessageInvalidError('threadParent without thread');
 */
export class MessageInvalidError extends AviaryError<'message.invalid'> {
  constructor(reason: string, options: { cause?: unknown } = {}) {
    super('message.invalid', `invalid message: ${reason}`, { ...options, details: { reason } });
    this.name = 'MessageInvalidError';
  }
}

/** Codes a hook can fail a message with. */
export type HookErrorCode = 'workflow.hook-failed' | 'workflow.hook-cannot-cancel';

/**
 * A hook that threw, returned something that is not a hook result, or cancelled at a point that
 * cannot be cancelled. It fails that one message only; `details` name the plugin and stage.
 *
 * @example
 * throw new HookError('workflow.hook-failed', 'otr', 'sendMessage', { cause });
 */
export class HookError extends AviaryError<HookErrorCode> {
  constructor(
    code: HookErrorCode,
    plugin: string,
    stage: string,
    options: { cause?: unknown; reason?: string } = {},
  ) {
    const what =
      code === 'workflow.hook-cannot-cancel'
        ? `tried to cancel at ${stage}, which cannot be cancelled`
        : `failed at ${stage}`;
    super(code, `hook of plugin ${JSON.stringify(plugin)} ${what}`, {
      cause: options.cause,
      details: {
        plugin,
        stage,
        ...(options.reason === undefined ? {} : { reason: options.reason }),
      },
    });
    this.name = 'HookError';
  }
}

/**
 * A stage that needs the outside world (transmit, store history) failed with something that
 * is not already an {@link AviaryError}.
 */
export class StageError extends AviaryError<'workflow.stage-failed'> {
  constructor(stage: string, cause: unknown) {
    super('workflow.stage-failed', `workflow stage ${stage} failed`, {
      cause,
      details: { stage },
    });
    this.name = 'StageError';
  }
}
