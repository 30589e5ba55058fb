/** The logging surface the XMPP layer needs; a pino logger satisfies it. */
export interface XmppLog {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** A logger that drops everything. */
export const silentLog: XmppLog = { debug() {}, warn() {} };
