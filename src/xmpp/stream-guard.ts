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
 *   `maxStanzaBytes` or nested deeper than `maxDepth` (whose parsed tree would overflow the
 *   stack of whoever walks it recursively) is skipped whole (reported as `oversize`) instead of
 *   closing the stream; past `hardLimitBytes`, or when the element is not a stanza, it is a
 *   `policy-violation` (the stream header is held to `hardLimitBytes` only);
 * - drops character data between top-level elements (whitespace keepalives, RFC 6120 §4.6.1)
 *   instead of letting the parser collect it under the stream element forever.
 *
 * The markup itself is tokenized by {@link createMarkupScanner}; UTF-8 validity is checked
 * where the bytes are decoded.
 */
import {
  describeStartTag,
  isStanzaName,
  type OversizeStanza,
  type StartTag,
} from './oversize-stanza.js';
import {
  createMarkupScanner,
  isIllegalByte,
  LESS_THAN,
  type MarkupScanner,
  type MarkupViolation,
} from './xml-markup-scanner.js';

/** Why a stream was refused; `condition` is the RFC 6120 §4.9.3 stream error to send. */
export type GuardViolation = MarkupViolation;

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
  /** Deepest element nesting inside a stanza (default 256; the stanza itself is depth 1). */
  readonly maxDepth?: number;
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

export function createStreamGuard(options: StreamGuardOptions): StreamGuard {
  const { maxStanzaBytes } = options;
  const hardLimitBytes = options.hardLimitBytes ?? 4 * maxStanzaBytes;
  // Scanner depth 1 is the stream element, so a stanza's own depth is scanner depth − 1.
  const maxScannerDepth = (options.maxDepth ?? 256) + 1;
  const scanner = createMarkupScanner();
  let failed: GuardViolation | undefined;
  // The current unit: markup that starts with '<' at depth ≤ 1 and ends when the scanner is
  // back in text at depth ≤ 1 — one top-level element, the stream header or its end tag.
  // Its bytes are held until it is complete, so that an oversize one can be dropped whole.
  let inUnit = false;
  let unitDepth = 0;
  let unitBytes = 0;
  let startTagEnd = -1;
  let held: Uint8Array[] = [];
  let skipped: (StartTag & { readonly limit: OversizeStanza['limit'] }) | undefined;

  /** The unit broke a limit: skip it when it is a stanza, else refuse the stream. */
  const overflow = (
    current: Uint8Array,
    limit: OversizeStanza['limit'],
  ): GuardViolation | undefined => {
    const tag =
      startTagEnd >= 0
        ? Buffer.concat([...held, current])
            .subarray(0, startTagEnd)
            .toString('utf8')
        : '';
    const stanza = describeStartTag(tag);
    held = [];
    if (stanza !== undefined && isStanzaName(stanza.name)) {
      skipped = { ...stanza, limit };
      return undefined;
    }
    return {
      condition: 'policy-violation',
      text:
        limit === 'bytes'
          ? `stanza larger than ${maxStanzaBytes} bytes`
          : `elements nested deeper than ${maxScannerDepth - 1}`,
    };
  };

  const functions: Omit<StreamGuard, 'depth'> = {
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
        if (inUnit) {
          // Never skip past a limit: the byte that crosses it goes through the checks below.
          const limit = skipped === undefined && unitDepth === 1 ? maxStanzaBytes : hardLimitBytes;
          const j = scanner.skip(chunk, i, Math.min(chunk.length, i + (limit - unitBytes)));
          unitBytes += j - i;
          i = j;
          if (i === chunk.length) break;
        }
        const b = chunk[i] as number;
        if (isIllegalByte(b))
          return refuse({
            condition: 'not-well-formed',
            text: `illegal character 0x${b.toString(16)}`,
          });
        if (!inUnit) {
          if (b !== LESS_THAN) continue; // character data at stream level is dropped
          inUnit = true;
          unitDepth = scanner.depth;
          unitBytes = 0;
          startTagEnd = -1;
          unitStart = i;
        }
        unitBytes++;
        // The stream header (depth 0) is held to the hard limit only.
        if (skipped === undefined && unitDepth === 1 && unitBytes > maxStanzaBytes) {
          const violation = overflow(chunk.subarray(unitStart, i + 1), 'bytes');
          if (violation !== undefined) return refuse(violation);
        }
        if (unitBytes > hardLimitBytes)
          return refuse({
            condition: 'policy-violation',
            text: `stanza larger than ${hardLimitBytes} bytes`,
          });
        const violation = scanner.step(b);
        if (violation !== undefined) return refuse(violation);
        if (scanner.startTagClosed) {
          if (startTagEnd < 0) startTagEnd = unitBytes;
          if (skipped === undefined && unitDepth === 1 && scanner.depth > maxScannerDepth) {
            const deep = overflow(chunk.subarray(unitStart, i + 1), 'depth');
            if (deep !== undefined) return refuse(deep);
          }
        }
        if (!scanner.inText || scanner.depth > 1) continue;
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
    reset() {
      scanner.reset();
      failed = undefined;
      inUnit = false;
      held = [];
      skipped = undefined;
    },
  };
  return new GuardObject(functions, scanner);
}

/**
 * The guard's functions behind a class getter for `depth`: an object literal with an accessor
 * is slow to create (V8 builds it property by property), and a connection builds a guard.
 */
class GuardObject implements StreamGuard {
  readonly scan: StreamGuard['scan'];
  readonly reset: StreamGuard['reset'];
  readonly #scanner: MarkupScanner;

  constructor(functions: Omit<StreamGuard, 'depth'>, scanner: MarkupScanner) {
    this.scan = functions.scan;
    this.reset = functions.reset;
    this.#scanner = scanner;
  }

  get depth(): number {
    return this.#scanner.depth;
  }
}
