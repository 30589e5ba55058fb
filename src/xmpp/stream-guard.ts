/**
 * A byte-level pre-parser for an XMPP stream (RFC 6120 §4, §11): every incoming chunk passes
 * through it *before* the XML parser, which throws on some malformed input, swallows the rest
 * of the stream after a DOCTYPE and has no size limit. The guard:
 * - refuses markup XMPP forbids (RFC 6120 §11.1): DOCTYPE (`policy-violation`), comments,
 *   processing instructions inside the stream and entity references other than the five
 *   predefined ones (`restricted-xml`);
 * - refuses what is not well-formed XML and would make the parser throw: illegal characters
 *   (raw or as `&#n;`), a bare `&`, an end tag outside the stream (`not-well-formed`);
 * - hands the parser each top-level element only once it is complete, so a stanza larger than
 *   `maxStanzaBytes` is skipped whole (reported as `oversize`) instead of closing the stream;
 *   past `hardLimitBytes`, or when the oversize element is not a stanza, it is a
 *   `policy-violation` (the stream header is held to `hardLimitBytes` only);
 * - drops character data between top-level elements (whitespace keepalives, RFC 6120 §4.6.1)
 *   instead of letting the parser collect it under the stream element forever.
 *
 * It tracks element depth, quotes, references and `<!`/`<?` constructs; markup bytes are
 * ASCII, so scanning bytes is exact for UTF-8 (whose validity the stream checks on decoding).
 */
import { describeStartTag, isStanzaName, type OversizeStanza } from './oversize-stanza.js';
import { checkReference, MAX_REFERENCE_LENGTH } from './xml-references.js';

/** Why a stream was refused; `condition` is the RFC 6120 §4.9.3 stream error to send. */
export interface GuardViolation {
  readonly condition: 'policy-violation' | 'restricted-xml' | 'not-well-formed';
  readonly text: string;
}

/** What one chunk yields, in stream order; a violation is always the last event. */
export type GuardEvent =
  | { readonly type: 'bytes'; readonly bytes: Uint8Array }
  | { readonly type: 'oversize'; readonly stanza: OversizeStanza }
  | { readonly type: 'violation'; readonly violation: GuardViolation };

export interface StreamGuardOptions {
  /** Largest top-level element handed to the parser. */
  readonly maxStanzaBytes: number;
  /** Largest stanza skipped without closing the stream (default 4 × maxStanzaBytes). */
  readonly hardLimitBytes?: number;
}

/**
 * @example
 * const guard = createStreamGuard({ maxStanzaBytes: 1 << 20 });
 * for (const event of guard.scan(chunk)) {
 *   if (event.type === 'bytes') parser.write(decoder.decode(event.bytes, { stream: true }));
 *   else if (event.type === 'oversize') reportSkipped(event.stanza);
 *   else closeWith(event.violation.condition);
 * }
 */
export interface StreamGuard {
  /** Scans the next chunk. After a violation every later call returns that violation again. */
  scan(chunk: Uint8Array): readonly GuardEvent[];
  /** Forgets all state (stream restart after STARTTLS or SASL). */
  reset(): void;
  /** Current element depth (1 = inside the stream element). */
  readonly depth: number;
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const AMP = 0x26;
const SEMICOLON = 0x3b;

enum State {
  Text,
  Lt,
  OpenTag,
  Quoted,
  CloseTag,
  Pi,
  Bang,
  Cdata,
  Reference,
}

/** Bytes that end a reference without `;`: whitespace, markup and quotes. */
const ENDS_REFERENCE = new Set([0x09, 0x0a, 0x0d, 0x20, LT, GT, AMP, DQUOTE, SQUOTE]);

/** XML 1.0 §2.2: no C0 control but tab, line feed and carriage return. */
const isIllegalByte = (b: number) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d;

export function createStreamGuard(options: StreamGuardOptions): StreamGuard {
  const { maxStanzaBytes } = options;
  const hardLimitBytes = options.hardLimitBytes ?? 4 * maxStanzaBytes;
  let state = State.Text;
  let depth = 0;
  let quote = 0;
  let previous = 0;
  let bang = '';
  let cdataTail = '';
  let reference = '';
  let afterReference = State.Text;
  let failed: GuardViolation | undefined;
  // The current unit: markup that starts with '<' at depth ≤ 1 and ends when the scanner is
  // back in text at depth ≤ 1 — one top-level element, the stream header or its end tag.
  let inUnit = false;
  let unitDepth = 0;
  let unitBytes = 0;
  let startTagEnd = -1;
  let held: Uint8Array[] = [];
  let skipped: OversizeStanza | undefined;

  const reset = () => {
    state = State.Text;
    depth = 0;
    quote = 0;
    previous = 0;
    bang = '';
    cdataTail = '';
    reference = '';
    failed = undefined;
    inUnit = false;
    held = [];
    skipped = undefined;
  };

  const scanByte = (b: number): GuardViolation | undefined => {
    switch (state) {
      case State.Text:
        if (b === LT) state = State.Lt;
        else if (b === AMP) {
          reference = '';
          afterReference = State.Text;
          state = State.Reference;
        }
        return undefined;
      case State.Lt:
        previous = b;
        if (b === SLASH) {
          if (depth === 0)
            return { condition: 'not-well-formed', text: 'end tag outside the stream' };
          state = State.CloseTag;
        } else if (b === QUESTION) {
          if (depth > 0)
            return { condition: 'restricted-xml', text: 'processing instructions are not allowed' };
          state = State.Pi;
        } else if (b === BANG) {
          state = State.Bang;
          bang = '';
        } else state = State.OpenTag;
        return undefined;
      case State.OpenTag:
        if (b === DQUOTE || b === SQUOTE) {
          quote = b;
          state = State.Quoted;
        } else if (b === GT) {
          if (depth === 1 && startTagEnd < 0) startTagEnd = unitBytes;
          if (previous !== SLASH) depth++;
          state = State.Text;
        }
        previous = b;
        return undefined;
      case State.Quoted:
        if (b === quote) state = State.OpenTag;
        else if (b === AMP) {
          reference = '';
          afterReference = State.Quoted;
          state = State.Reference;
        }
        previous = b;
        return undefined;
      case State.Reference:
        if (b === SEMICOLON) {
          state = afterReference;
          return checkReference(reference);
        }
        if (ENDS_REFERENCE.has(b) || reference.length >= MAX_REFERENCE_LENGTH)
          return { condition: 'not-well-formed', text: `'&' does not start a reference` };
        reference += String.fromCharCode(b);
        return undefined;
      case State.CloseTag:
        if (b === GT) {
          depth--;
          state = State.Text;
        }
        return undefined;
      case State.Pi:
        if (b === GT && previous === QUESTION) state = State.Text;
        previous = b;
        return undefined;
      case State.Bang:
        return scanBang(b);
      case State.Cdata:
        cdataTail = (cdataTail + String.fromCharCode(b)).slice(-3);
        if (cdataTail === ']]>') state = State.Text;
        return undefined;
    }
  };

  const scanBang = (b: number): GuardViolation | undefined => {
    bang += String.fromCharCode(b);
    if ('[CDATA['.startsWith(bang)) {
      if (bang === '[CDATA[') {
        state = State.Cdata;
        cdataTail = '';
      }
      return undefined;
    }
    if ('DOCTYPE'.startsWith(bang.toUpperCase()) && bang.length < 7) return undefined;
    if (bang.toUpperCase() === 'DOCTYPE')
      return { condition: 'policy-violation', text: 'DOCTYPE is not allowed on an XMPP stream' };
    if (bang === '-') return undefined;
    if (bang.startsWith('--'))
      return { condition: 'restricted-xml', text: 'comments are not allowed' };
    return { condition: 'restricted-xml', text: `markup <!${bang} is not allowed` };
  };

  /** The unit passed `maxStanzaBytes`: skip it when it is a stanza, else refuse the stream. */
  const overflow = (current: Uint8Array): GuardViolation | undefined => {
    const tag =
      startTagEnd >= 0
        ? Buffer.concat([...held, current])
            .subarray(0, startTagEnd)
            .toString('utf8')
        : '';
    const stanza = describeStartTag(tag, unitBytes);
    held = [];
    if (stanza !== undefined && isStanzaName(stanza.name)) {
      skipped = stanza;
      return undefined;
    }
    return { condition: 'policy-violation', text: `stanza larger than ${maxStanzaBytes} bytes` };
  };

  return {
    scan(chunk) {
      if (failed !== undefined) return [{ type: 'violation', violation: failed }];
      const events: GuardEvent[] = [];
      // Complete units of this chunk not yet emitted: chunk[passStart, passEnd).
      let passStart = 0;
      let passEnd = 0;
      let unitStart = 0;
      const flushPass = () => {
        if (passEnd > passStart)
          events.push({ type: 'bytes', bytes: chunk.subarray(passStart, passEnd) });
        passStart = passEnd = 0;
      };
      const refuse = (violation: GuardViolation) => {
        flushPass();
        failed = violation;
        events.push({ type: 'violation', violation });
        return events;
      };
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i] as number;
        if (isIllegalByte(b))
          return refuse({
            condition: 'not-well-formed',
            text: `illegal character 0x${b.toString(16)}`,
          });
        if (!inUnit) {
          if (b !== LT || state !== State.Text) continue; // character data at stream level
          inUnit = true;
          unitDepth = depth;
          unitBytes = 0;
          startTagEnd = -1;
          unitStart = i;
        }
        unitBytes++;
        // The stream header (depth 0) is held to the hard limit only.
        if (skipped === undefined && unitDepth === 1 && unitBytes > maxStanzaBytes) {
          const violation = overflow(chunk.subarray(unitStart, i + 1));
          if (violation !== undefined) return refuse(violation);
        }
        if (unitBytes > hardLimitBytes)
          return refuse({
            condition: 'policy-violation',
            text: `stanza larger than ${hardLimitBytes} bytes`,
          });
        const violation = scanByte(b);
        if (violation !== undefined) return refuse(violation);
        if (state !== State.Text || depth > 1) continue;
        // The unit is complete.
        inUnit = false;
        if (skipped !== undefined) {
          flushPass();
          events.push({ type: 'oversize', stanza: { ...skipped, bytes: unitBytes } });
          skipped = undefined;
        } else if (held.length > 0) {
          flushPass();
          for (const bytes of held) events.push({ type: 'bytes', bytes });
          held = [];
          passStart = unitStart;
          passEnd = i + 1;
        } else {
          if (passEnd !== unitStart) flushPass();
          if (passEnd === 0) passStart = unitStart;
          passEnd = i + 1;
        }
      }
      flushPass();
      if (inUnit && skipped === undefined && unitStart < chunk.length)
        held.push(chunk.subarray(unitStart));
      return events;
    },
    reset,
    get depth() {
      return depth;
    },
  };
}
