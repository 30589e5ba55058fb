/**
 * A byte-level pre-parser for an XMPP stream: it runs on every chunk *before* the XML parser
 * and refuses what the parser would mishandle (FINDINGS.md):
 * - `<!DOCTYPE` (ltx then swallows every following stanza) and other markup XMPP forbids
 *   (comments, processing instructions inside the stream — RFC 6120 §11.1);
 * - a stanza larger than `maxStanzaBytes` (the @xmpp/xml parser has no limit), counted from
 *   the end of the previous stanza so whitespace floods count too.
 *
 * It tracks only element depth, quotes and `<!`/`<?` constructs; markup bytes are ASCII, so
 * scanning bytes is exact for UTF-8.
 */

/** Why a stream was refused; `condition` is the RFC 6120 §4.9.3 stream error to send. */
export interface GuardViolation {
  readonly condition: 'policy-violation' | 'restricted-xml';
  readonly text: string;
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

enum State {
  Text,
  Lt,
  OpenTag,
  Quoted,
  CloseTag,
  Pi,
  Bang,
  Cdata,
}

/**
 * @example
 * const guard = createStreamGuard({ maxStanzaBytes: 1 << 20 });
 * const violation = guard.scan(chunk);
 * if (violation) closeWith(violation.condition); else parser.write(decoder.write(chunk));
 */
export interface StreamGuard {
  /** Scans the next chunk; returns the first violation, or undefined when the chunk is fine. */
  scan(chunk: Uint8Array): GuardViolation | undefined;
  /** Forgets all state (stream restart after STARTTLS or SASL). */
  reset(): void;
  /** Current element depth (1 = inside the stream element). */
  readonly depth: number;
}

export function createStreamGuard(options: { maxStanzaBytes: number }): StreamGuard {
  const { maxStanzaBytes } = options;
  let state = State.Text;
  let depth = 0;
  let quote = 0;
  let previous = 0;
  let bang = '';
  let cdataTail = '';
  let stanzaBytes = 0;
  let failed: GuardViolation | undefined;

  const reset = () => {
    state = State.Text;
    depth = 0;
    quote = 0;
    previous = 0;
    bang = '';
    cdataTail = '';
    stanzaBytes = 0;
    failed = undefined;
  };

  const scanByte = (b: number): GuardViolation | undefined => {
    switch (state) {
      case State.Text:
        if (b === LT) state = State.Lt;
        return undefined;
      case State.Lt:
        if (b === SLASH) state = State.CloseTag;
        else if (b === QUESTION) {
          if (depth > 0)
            return { condition: 'restricted-xml', text: 'processing instructions are not allowed' };
          state = State.Pi;
        } else if (b === BANG) {
          state = State.Bang;
          bang = '';
        } else state = State.OpenTag;
        previous = b;
        return undefined;
      case State.OpenTag:
        if (b === DQUOTE || b === SQUOTE) {
          quote = b;
          state = State.Quoted;
        } else if (b === GT) {
          if (previous !== SLASH) depth++;
          state = State.Text;
          if (depth <= 1) stanzaBytes = 0;
        }
        previous = b;
        return undefined;
      case State.Quoted:
        if (b === quote) state = State.OpenTag;
        previous = b;
        return undefined;
      case State.CloseTag:
        if (b === GT) {
          depth--;
          state = State.Text;
          if (depth <= 1) stanzaBytes = 0;
        }
        return undefined;
      case State.Pi:
        if (b === GT && previous === QUESTION) state = State.Text;
        previous = b;
        return undefined;
      case State.Bang:
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
          return {
            condition: 'policy-violation',
            text: 'DOCTYPE is not allowed on an XMPP stream',
          };
        if (bang.startsWith('--') || bang === '-') {
          if (bang === '-') return undefined;
          return { condition: 'restricted-xml', text: 'comments are not allowed' };
        }
        return { condition: 'restricted-xml', text: `markup <!${bang} is not allowed` };
      case State.Cdata:
        cdataTail = (cdataTail + String.fromCharCode(b)).slice(-3);
        if (cdataTail === ']]>') state = State.Text;
        return undefined;
    }
  };

  return {
    scan(chunk) {
      if (failed !== undefined) return failed;
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i] as number;
        if (depth >= 1 || state !== State.Text) {
          stanzaBytes++;
          if (stanzaBytes > maxStanzaBytes && depth >= 1) {
            failed = {
              condition: 'policy-violation',
              text: `stanza larger than ${maxStanzaBytes} bytes`,
            };
            return failed;
          }
        }
        const violation = scanByte(b);
        if (violation !== undefined) {
          failed = violation;
          return violation;
        }
      }
      return undefined;
    },
    reset,
    get depth() {
      return depth;
    },
  };
}
