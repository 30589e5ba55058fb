/**
 * Errors returned by a pubsub service, as one typed {@link AviaryError}.
 *
 * An error reply carries an RFC 6120 §8.3 stanza condition (`item-not-found`,
 * `feature-not-implemented`...) and, for pubsub, often an application condition in the
 * `http://jabber.org/protocol/pubsub#errors` namespace (XEP-0060 §7.1.3, §6.5.9 and the
 * "pubsub#errors" schema): e.g. `<unsupported feature="rsm"/>`, `<invalid-jid/>`,
 * `<precondition-not-met/>`.
 */
import { AviaryError } from '../errors.js';
import { NS } from './namespaces.js';
import { childElements, isElement, type XmlElement } from './xml.js';

/** The parts of a stanza error a program branches on. Plain data. */
export interface PubsubErrorDetails {
  /** RFC 6120 §8.3.3 defined condition, e.g. `item-not-found`. */
  readonly condition: string;
  /** RFC 6120 §8.3.2 error type: `auth`, `cancel`, `continue`, `modify` or `wait`. */
  readonly type?: string | undefined;
  /** Human-readable `<text/>`, when the service sent one. */
  readonly text?: string | undefined;
  /** Pubsub-specific condition (XEP-0060 pubsub#errors), e.g. `unsupported`, `invalid-jid`. */
  readonly pubsubCondition?: string | undefined;
  /** The `feature` attribute of `<unsupported/>`, e.g. `rsm` or `publish-options`. */
  readonly unsupportedFeature?: string | undefined;
  readonly service?: string | undefined;
  readonly node?: string | undefined;
}

/**
 * Thrown when a pubsub request gets an error reply.
 *
 * @example
 * try { await pubsub.getItems(service, node) }
 * catch (e) { if (e instanceof PubsubError && e.condition === 'item-not-found') ... }
 */
export class PubsubError extends AviaryError<'pubsub.error'> {
  readonly condition: string;
  readonly errorType: string | undefined;
  readonly text: string | undefined;
  readonly pubsubCondition: string | undefined;
  readonly unsupportedFeature: string | undefined;

  constructor(details: PubsubErrorDetails, options: { cause?: unknown } = {}) {
    const extra = [
      details.pubsubCondition === undefined ? undefined : details.pubsubCondition,
      details.unsupportedFeature === undefined
        ? undefined
        : `feature=${details.unsupportedFeature}`,
    ]
      .filter((s) => s !== undefined)
      .join(' ');
    const where = details.node === undefined ? '' : ` (node ${details.node})`;
    super(
      'pubsub.error',
      `pubsub error ${details.condition}${extra === '' ? '' : ` [${extra}]`}${where}` +
        (details.text === undefined ? '' : `: ${details.text}`),
      { cause: options.cause, details: { ...details } },
    );
    this.name = 'PubsubError';
    this.condition = details.condition;
    this.errorType = details.type;
    this.text = details.text;
    this.pubsubCondition = details.pubsubCondition;
    this.unsupportedFeature = details.unsupportedFeature;
  }
}

/** Thrown when a service's reply does not have the shape XEP-0060 requires. */
export class PubsubResponseError extends AviaryError<'pubsub.invalid-response'> {
  constructor(message: string, options: { details?: Record<string, unknown> } = {}) {
    super('pubsub.invalid-response', message, options);
    this.name = 'PubsubResponseError';
  }
}

/**
 * Reads an `<error/>` element (RFC 6120 §8.3.2) — or an `<iq type="error">` containing one —
 * into plain details. Unknown shapes give condition `undefined-condition`.
 */
export function parseStanzaError(element: XmlElement): PubsubErrorDetails {
  const error = element.name === 'error' ? element : element.getChild('error');
  if (error === undefined) return { condition: 'undefined-condition' };
  let condition: string | undefined;
  let text: string | undefined;
  let pubsubCondition: string | undefined;
  let unsupportedFeature: string | undefined;
  for (const child of childElements(error)) {
    const ns = child.getNS();
    if (ns === NS.stanzas) {
      if (child.name === 'text') text = child.getText();
      else condition ??= child.name;
    } else if (ns === NS.pubsubErrors) {
      pubsubCondition ??= child.name;
      if (child.name === 'unsupported') unsupportedFeature = child.attrs.feature;
    }
  }
  return {
    condition: condition ?? 'undefined-condition',
    type: error.attrs.type,
    text,
    pubsubCondition,
    unsupportedFeature,
  };
}

/**
 * Turns what an iq caller rejected with into a {@link PubsubError} when it is a stanza error:
 * an xmpp.js `StanzaError` (its `element` is the `<error/>`), an error `<iq/>`, or an object with
 * a string `condition`. Anything else (timeouts, disconnects) is returned unchanged.
 */
export function toPubsubError(
  failure: unknown,
  where: { service?: string; node?: string } = {},
): unknown {
  if (failure instanceof PubsubError) return failure;
  if (isElement(failure) && (failure.name === 'iq' || failure.name === 'error')) {
    return new PubsubError({ ...parseStanzaError(failure), ...where });
  }
  if (typeof failure === 'object' && failure !== null) {
    const f = failure as { element?: unknown; condition?: unknown; text?: unknown; type?: unknown };
    if (isElement(f.element) && (f.element.name === 'error' || f.element.name === 'iq')) {
      return new PubsubError({ ...parseStanzaError(f.element), ...where }, { cause: failure });
    }
    if (typeof f.condition === 'string') {
      return new PubsubError(
        {
          condition: f.condition,
          text: typeof f.text === 'string' && f.text !== '' ? f.text : undefined,
          type: typeof f.type === 'string' ? f.type : undefined,
          ...where,
        },
        { cause: failure },
      );
    }
  }
  return failure;
}
