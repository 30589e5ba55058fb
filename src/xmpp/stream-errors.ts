/**
 * Stream errors (RFC 6120 §4.9): reading the peer's `<stream:error/>`, writing ours, and the
 * typed {@link AviaryError} the owner of a stream hears in either case. A stream closed for
 * `policy-violation` or `restricted-xml` is `xmpp.policy-violation`; any other condition is
 * `xmpp.stream-error`. `details.condition` always names the RFC 6120 §4.9.3 condition, and
 * `details.sent` is true when this side sent it.
 */
import { type Element, escapeXMLText } from '@xmpp/xml';
import { AviaryError } from '../errors.js';

const NS_STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';

/** Stream errors (RFC 6120 §4.9.3) this side sends when it closes a stream. */
export type StreamErrorCondition =
  | 'policy-violation'
  | 'restricted-xml'
  | 'not-well-formed'
  | 'unsupported-encoding'
  | 'undefined-condition'
  | (string & {});

/** Parses `<stream:error/>` into an AviaryError carrying the condition and text. */
export function streamErrorFromElement(element: Element): AviaryError<'xmpp.stream-error'> {
  const condition =
    element.getChildElements().find((c) => c.getNS() === NS_STREAM_ERRORS && c.name !== 'text')
      ?.name ?? 'undefined-condition';
  const text = element.getChildText('text', NS_STREAM_ERRORS) ?? '';
  return new AviaryError(
    'xmpp.stream-error',
    `stream error: ${condition}${text ? ` (${text})` : ''}`,
    { details: { condition, text } },
  );
}

/**
 * The `<stream:error/>` we send for `condition` (RFC 6120 §4.9.1.1); the caller closes the
 * stream after it.
 *
 * @example
 * socket.end(`${streamErrorXml('not-well-formed', 'illegal character 0x0')}</stream:stream>`);
 */
export function streamErrorXml(condition: StreamErrorCondition, text: string): string {
  return `<stream:error><${condition} xmlns='${NS_STREAM_ERRORS}'/><text xmlns='${NS_STREAM_ERRORS}'>${escapeXMLText(text)}</text></stream:error>`;
}

/** The error the owner hears when this side closed the stream with `condition`. */
export function streamFailure(
  condition: StreamErrorCondition,
  text: string,
  cause?: unknown,
): AviaryError<'xmpp.policy-violation' | 'xmpp.stream-error'> {
  const code =
    condition === 'policy-violation' || condition === 'restricted-xml'
      ? 'xmpp.policy-violation'
      : 'xmpp.stream-error';
  return new AviaryError(code, `closing the stream: ${condition} (${text})`, {
    ...(cause === undefined ? {} : { cause }),
    details: { condition, text, sent: true },
  });
}
