/**
 * A byte-at-a-time XML markup tokenizer, just deep enough to guard an XMPP stream: it tracks
 * element depth, quotes, references and `<!`/`<?` constructs, and refuses what RFC 6120 §11.1
 * forbids or XML 1.0 says is not well-formed where the XML parser would mishandle it:
 * DOCTYPE (`policy-violation`), comments, processing instructions inside the stream, entity
 * references other than the predefined five (`restricted-xml`), references to illegal
 * characters, a bare `&`, an end tag outside the stream (`not-well-formed`).
 *
 * Markup bytes are ASCII, so scanning bytes is exact for UTF-8.
 */
import { checkReference, MAX_REFERENCE_LENGTH } from './xml-references.js';

/** Why a stream must be refused; `condition` is the RFC 6120 §4.9.3 stream error to send. */
export interface MarkupViolation {
  readonly condition: 'policy-violation' | 'restricted-xml' | 'not-well-formed';
  readonly text: string;
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

/** `<`: where a unit of markup starts. */
export const LESS_THAN = LT;

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

/** XML 1.0 §2.2: no C0 control character but tab, line feed and carriage return. */
export const isIllegalByte = (b: number): boolean =>
  b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d;

/**
 * A class with plain fields rather than a closure: it runs once per structural byte of every
 * stream, and monomorphic field access keeps that loop fast.
 *
 * @example
 * const scanner = createMarkupScanner();
 * for (const b of bytes) { const problem = scanner.step(b); if (problem) refuse(problem); }
 */
export class MarkupScanner {
  #state = State.Text;
  #depth = 0;
  #quote = 0;
  #previous = 0;
  #bang = '';
  #cdataTail = '';
  #reference = '';
  #afterReference = State.Text;
  #startTagClosed = false;

  /** Element depth: 1 = inside the stream element. */
  get depth(): number {
    return this.#depth;
  }

  /** True in character data (not inside a tag, reference, comment, CDATA…). */
  get inText(): boolean {
    return this.#state === State.Text;
  }

  /** True right after `step` consumed the `>` of a start tag (an empty-element tag too). */
  get startTagClosed(): boolean {
    return this.#startTagClosed;
  }

  reset(): void {
    this.#state = State.Text;
    this.#depth = 0;
    this.#quote = 0;
    this.#previous = 0;
    this.#bang = '';
    this.#cdataTail = '';
    this.#reference = '';
    this.#startTagClosed = false;
  }

  /**
   * Index of the first byte of chunk[from, end) that `step` must see: in character data, tag
   * names and attribute values only the byte that can end them, a `&` or a control character
   * matters. Returns `from` in any other state. (The guard's hot loop.)
   */
  skip(chunk: Uint8Array, from: number, end: number): number {
    const state = this.#state;
    let j = from;
    if (state === State.Text || state === State.Quoted) {
      const stop = state === State.Text ? LT : this.#quote;
      while (j < end) {
        const c = chunk[j] as number;
        if (c === stop || c === AMP || c < 0x20) break;
        j++;
      }
    } else if (state === State.OpenTag) {
      while (j < end) {
        const c = chunk[j] as number;
        if (c === GT || c === DQUOTE || c === SQUOTE || c < 0x20) break;
        j++;
      }
      if (j > from) this.#previous = chunk[j - 1] as number;
    } else if (state === State.CloseTag) {
      while (j < end) {
        const c = chunk[j] as number;
        if (c === GT || c < 0x20) break;
        j++;
      }
    }
    if (j > from) this.#startTagClosed = false;
    return j;
  }

  /** Consumes one byte; returns why the stream must be refused, if it must. */
  step(b: number): MarkupViolation | undefined {
    this.#startTagClosed = false;
    switch (this.#state) {
      case State.Text:
        if (b === LT) this.#state = State.Lt;
        else if (b === AMP) this.#startReference(State.Text);
        return undefined;
      case State.Lt:
        this.#previous = b;
        if (b === SLASH) {
          if (this.#depth === 0)
            return { condition: 'not-well-formed', text: 'end tag outside the stream' };
          this.#state = State.CloseTag;
        } else if (b === QUESTION) {
          if (this.#depth > 0)
            return { condition: 'restricted-xml', text: 'processing instructions are not allowed' };
          this.#state = State.Pi;
        } else if (b === BANG) {
          this.#state = State.Bang;
          this.#bang = '';
        } else this.#state = State.OpenTag;
        return undefined;
      case State.OpenTag:
        if (b === DQUOTE || b === SQUOTE) {
          this.#quote = b;
          this.#state = State.Quoted;
        } else if (b === GT) {
          this.#startTagClosed = true;
          if (this.#previous !== SLASH) this.#depth++;
          this.#state = State.Text;
        }
        this.#previous = b;
        return undefined;
      case State.Quoted:
        if (b === this.#quote) this.#state = State.OpenTag;
        else if (b === AMP) this.#startReference(State.Quoted);
        this.#previous = b;
        return undefined;
      case State.Reference:
        if (b === SEMICOLON) {
          this.#state = this.#afterReference;
          return checkReference(this.#reference);
        }
        if (ENDS_REFERENCE.has(b) || this.#reference.length >= MAX_REFERENCE_LENGTH)
          return { condition: 'not-well-formed', text: `'&' does not start a reference` };
        this.#reference += String.fromCharCode(b);
        return undefined;
      case State.CloseTag:
        if (b === GT) {
          this.#depth--;
          this.#state = State.Text;
        }
        return undefined;
      case State.Pi:
        if (b === GT && this.#previous === QUESTION) this.#state = State.Text;
        this.#previous = b;
        return undefined;
      case State.Bang:
        return this.#scanBang(b);
      case State.Cdata:
        this.#cdataTail = (this.#cdataTail + String.fromCharCode(b)).slice(-3);
        if (this.#cdataTail === ']]>') this.#state = State.Text;
        return undefined;
    }
  }

  #startReference(from: State): void {
    this.#reference = '';
    this.#afterReference = from;
    this.#state = State.Reference;
  }

  #scanBang(b: number): MarkupViolation | undefined {
    const bang = this.#bang + String.fromCharCode(b);
    this.#bang = bang;
    if ('[CDATA['.startsWith(bang)) {
      if (bang === '[CDATA[') {
        this.#state = State.Cdata;
        this.#cdataTail = '';
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
  }
}

export function createMarkupScanner(): MarkupScanner {
  return new MarkupScanner();
}
