/**
 * Types for the two ltx 3.1 modules the parsers use directly (ltx ships no declarations).
 * Only these sub-paths are declared, so this file cannot clash with a declaration of `ltx`
 * itself elsewhere in the project.
 */
declare module 'ltx/src/parsers/ltx.js' {
  import { EventEmitter } from 'node:events';

  /** ltx's SAX tokenizer: emits `startElement`, `endElement`, `text` and `error`. */
  export default class SaxLtx extends EventEmitter {
    write(data: string): void;
    end(data?: string): void;
  }
}

declare module 'ltx/src/escape.js' {
  export function escapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
  export function unescapeXML(s: string): string;
}
