import type { Element } from '@xmpp/xml';
import type {
  ExtensionOrder,
  IqHandler,
  IqRoute,
  OnlineHook,
  StanzaMiddleware,
} from '../entities/entity-extensions.js';
import type { Logger } from '../log.js';
import type { HookRegistry } from '../workflow/hooks.js';

/** Where a plugin can run: on client profiles, on components, or both. */
export type PluginMode = 'client' | 'component';

/** What a running entity offers its plugins. */
export interface PluginHost {
  readonly kind: PluginMode;
  /** Profile or component name. */
  readonly name: string;
  /** Own JID (full for clients once bound, the domain for components). */
  readonly jid: () => string;
  /** Sends a message through the entity's send pipeline (hooks, history, signals). */
  sendMessage(request: {
    readonly to: string;
    /** Bodies by `xml:lang` ('' = no language). */
    readonly message: Readonly<Record<string, string>>;
    readonly subject?: Readonly<Record<string, string>>;
    readonly type?: string;
    readonly extra?: Record<string, unknown>;
  }): Promise<unknown>;
  /** Whether the entity is online right now (its stream is up and announced). */
  online(): boolean;
  /** Sends one stanza as is, bypassing the workflow (rejects with `entity.offline` when offline). */
  send(element: Element): Promise<void>;
  /** An IQ request (RFC 6120 §8.2.3): the `result`, or `xmpp.stanza-error` / `xmpp.timeout`. */
  iq(element: Element, timeoutMs?: number): Promise<Element>;
  /** Stanza middleware, run in the entity's turn before the built-in handling. */
  useStanza(middleware: StanzaMiddleware, order?: ExtensionOrder): () => void;
  /** Answers IQ requests of one type, namespace and element (others: `service-unavailable`). */
  handleIq(route: IqRoute, handler: IqHandler, order?: ExtensionOrder): () => void;
  /** Runs once the stream is up, before the entity reports `online` (presence, caps...). */
  onOnline(hook: OnlineHook, order?: ExtensionOrder): () => void;
}

/** What `setup` receives: the entity, its hook registry, a logger with plugin context. */
export interface PluginContext {
  readonly host: PluginHost;
  readonly hooks: HookRegistry;
  readonly log: Logger;
}

/**
 * A plugin: data (name, modes, dependencies) plus one `setup` function that registers hooks
 * and returns its teardown. Libervia's plugin model: `dependencies` must be present (and support
 * the entity's mode), `recommendations` are loaded when possible and skipped otherwise.
 *
 * @example
 * const chatStates: Plugin = {
 *   name: 'xep-0085', modes: ['client'],
 *   setup: ({ hooks }) => hooks.register('sendMessage', { plugin: 'xep-0085', handler: (m) => ({ action: 'continue' }) }),
 * };
 */
export interface Plugin {
  readonly name: string;
  readonly modes: readonly PluginMode[];
  readonly dependencies?: readonly string[];
  readonly recommendations?: readonly string[];
  /** True when the plugin can start a component (XEP-0114 entry point). */
  readonly entryPoint?: boolean;
  readonly description?: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: `void`, not `undefined`: a setup written as `async () => {}` returns Promise<void>, which must fit.
  setup(context: PluginContext): void | (() => void) | Promise<void | (() => void)>;
}
