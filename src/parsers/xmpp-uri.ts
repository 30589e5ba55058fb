/**
 * XMPP URIs, RFC 5122 (https://www.rfc-editor.org/rfc/rfc5122), as used by XEP-0277 comment
 * links: `xmpp:pubsub.example.org?;node=urn%3Axmpp%3Amicroblog%3A0%3Acomments%2Fabc`.
 *
 * @example
 * parseXmppUri('xmpp:pubsub.example.org?;node=blog;item=1');
 * // { jid: 'pubsub.example.org', action: '', params: { node: 'blog', item: '1' } }
 */

/** A parsed XMPP URI. `action` is the query type (`''` for `?;node=...`, `'pubsub'`...). */
export interface XmppUri {
  readonly jid: string;
  readonly authority?: string;
  readonly action?: string;
  readonly params: Readonly<Record<string, string>>;
  readonly fragment?: string;
}

/** Parses an `xmpp:` URI; returns undefined for another scheme or invalid escapes. */
export function parseXmppUri(uri: string): XmppUri | undefined {
  const trimmed = uri.trim();
  if (!/^xmpp:/i.test(trimmed)) return undefined;
  try {
    let rest = trimmed.slice(5);
    let fragment: string | undefined;
    const hash = rest.indexOf('#');
    if (hash !== -1) {
      fragment = decodeURIComponent(rest.slice(hash + 1));
      rest = rest.slice(0, hash);
    }
    let authority: string | undefined;
    if (rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2);
      authority = decodeURIComponent(rest.slice(2, slash === -1 ? rest.length : slash));
      rest = slash === -1 ? '' : rest.slice(slash + 1);
    }
    const question = rest.indexOf('?');
    const path = question === -1 ? rest : rest.slice(0, question);
    const jid = decodeURIComponent(path);
    if (jid === '') return undefined;
    const result: {
      jid: string;
      authority?: string;
      action?: string;
      params: Record<string, string>;
      fragment?: string;
    } = { jid, params: {} };
    if (authority !== undefined) result.authority = authority;
    if (fragment !== undefined) result.fragment = fragment;
    if (question !== -1) {
      const [action = '', ...pairs] = rest.slice(question + 1).split(';');
      result.action = decodeURIComponent(action);
      for (const pair of pairs) {
        if (pair === '') continue;
        const eq = pair.indexOf('=');
        const key = decodeURIComponent(eq === -1 ? pair : pair.slice(0, eq));
        result.params[key] = eq === -1 ? '' : decodeURIComponent(pair.slice(eq + 1));
      }
    }
    return result;
  } catch {
    return undefined;
  }
}

/** Builds an XMPP URI: `buildXmppUri('s.example', '', { node: 'n' })` → `xmpp:s.example?;node=n`. */
export function buildXmppUri(
  jid: string,
  action?: string,
  params: Readonly<Record<string, string>> = {},
): string {
  let uri = `xmpp:${encodeURI(jid).replace(/[?#]/g, encodeURIComponent)}`;
  if (action !== undefined) {
    uri += `?${encodeURIComponent(action)}`;
    for (const [key, value] of Object.entries(params)) {
      uri += `;${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
    }
  }
  return uri;
}
