// Minimal typings for the untyped xmpp.js 0.14 packages this folder composes.

declare module '@xmpp/xml' {
  /** An ltx element as built by `xml()` and produced by the streaming parser. */
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    text(): string;
    append(...nodes: Array<Element | string>): this;
    toString(): string;
  }
  /** Streaming parser: emits `start` (stream header), `element` (top-level child), `end`, `error`. */
  export class Parser {
    write(data: string): void;
    on(event: 'start' | 'element' | 'end', listener: (element: Element) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    removeAllListeners(): this;
  }
  export function escapeXML(value: string): string;
  export function escapeXMLText(value: string): string;
  type Child = Element | string | number | null | undefined | false | Child[];
  function xml(
    name: string,
    attrs?: Record<string, string | undefined> | null,
    ...children: Child[]
  ): Element;
  export default xml;
}

declare module '@xmpp/client' {
  /** The stock xmpp.js client, used only as the benchmark baseline. */
  export interface StockClient {
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  export function client(options: {
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
    timeout?: number;
  }): StockClient;
}
