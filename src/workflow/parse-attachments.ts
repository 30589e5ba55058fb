/**
 * Reads file attachments from an incoming `<message/>`: XEP-0447 stateless file sharing,
 * XEP-0385 stateless inline media sharing (the "lite" part: metadata and URL sources, no
 * Jingle or bits-of-binary sources), and XEP-0066 out-of-band URLs. A malformed attachment
 * element is skipped, never fatal: the message itself is still valid.
 *
 * @see https://xmpp.org/extensions/xep-0447.html
 * @see https://xmpp.org/extensions/xep-0385.html
 * @see https://xmpp.org/extensions/xep-0066.html
 */
import type { Attachment } from './attachments.js';
import {
  NS_FILE_METADATA,
  NS_HASHES,
  NS_JINGLE_FILE,
  NS_OOB,
  NS_REFERENCE,
  NS_SFS,
  NS_SIMS,
  NS_URL_DATA,
} from './namespaces.js';
import { attr, childNamed, childrenNamed, type ScopedElement, textOf } from './xml.js';

/**
 * Attachments found in `message`, one per distinct URL, richest description first
 * (XEP-0447, then XEP-0385, then XEP-0066).
 */
export function parseAttachments(message: ScopedElement): Attachment[] {
  const found: Attachment[] = [];
  const seen = new Set<string>();
  const add = (a: Attachment | undefined): void => {
    if (a === undefined || a.url === undefined || seen.has(a.url)) return;
    for (const s of a.sources ?? []) seen.add(s.url);
    seen.add(a.url);
    found.push(a);
  };
  for (const sharing of childrenNamed(message, 'file-sharing', NS_SFS)) {
    const file = childNamed(sharing, 'file', NS_FILE_METADATA);
    const sources = childNamed(sharing, 'sources', NS_SFS);
    const urls = sources
      ? childrenNamed(sources, 'url-data', NS_URL_DATA).map((u) => attr(u.element, 'target'))
      : [];
    add(fromFile(file, NS_FILE_METADATA, urls));
  }
  for (const ref of childrenNamed(message, 'reference', NS_REFERENCE)) {
    if (attr(ref.element, 'type') !== 'data') continue;
    const sharing = childNamed(ref, 'media-sharing', NS_SIMS);
    if (sharing === undefined) continue;
    const file = childNamed(sharing, 'file', NS_JINGLE_FILE);
    const sources = childNamed(sharing, 'sources', NS_SIMS);
    const urls = sources
      ? childrenNamed(sources, 'reference', NS_REFERENCE).map((r) => attr(r.element, 'uri'))
      : [];
    add(fromFile(file, NS_JINGLE_FILE, urls));
  }
  for (const oob of childrenNamed(message, 'x', NS_OOB)) {
    const urlElement = childNamed(oob, 'url', NS_OOB);
    const url = urlElement ? cleanUrl(textOf(urlElement.element)) : undefined;
    if (url === undefined) continue;
    const descElement = childNamed(oob, 'desc', NS_OOB);
    const desc = descElement ? textOf(descElement.element).trim() : '';
    add(desc === '' ? { url } : { url, desc });
  }
  return found;
}

function fromFile(
  file: ScopedElement | undefined,
  ns: string,
  rawUrls: readonly (string | undefined)[],
): Attachment | undefined {
  const urls = rawUrls.map((u) => (u === undefined ? undefined : cleanUrl(u)));
  const sources = urls.filter((u): u is string => u !== undefined).map((url) => ({ url }));
  const first = sources[0];
  if (first === undefined) return undefined;
  const attachment: { -readonly [K in keyof Attachment]: Attachment[K] } = {
    url: first.url,
    sources,
  };
  if (file === undefined) return attachment;
  const text = (name: string): string | undefined => {
    const child = childNamed(file, name, ns);
    const value = child ? textOf(child.element).trim() : '';
    return value === '' ? undefined : value;
  };
  const name = text('name');
  if (name !== undefined) attachment.name = name.replaceAll('/', '_');
  const mediaType = text('media-type');
  if (mediaType !== undefined && /^[\w.+-]+\/[\w.+-]+$/.test(mediaType)) {
    attachment.mediaType = mediaType.toLowerCase();
  }
  const desc = text('desc');
  if (desc !== undefined) attachment.desc = desc;
  const size = text('size');
  if (size !== undefined && /^\d{1,15}$/.test(size)) attachment.size = Number(size);
  const hashes = new Map<string, string>();
  for (const hash of childrenNamed(file, 'hash', NS_HASHES)) {
    const algo = attr(hash.element, 'algo');
    const digest = textOf(hash.element).trim();
    if (algo !== undefined && algo !== '' && digest !== '') hashes.set(algo, digest);
  }
  if (hashes.size > 0) attachment.hashes = Object.fromEntries(hashes);
  return attachment;
}

/** The URL when it is an absolute URL, trimmed; otherwise `undefined`. */
function cleanUrl(text: string): string | undefined {
  const url = text.trim();
  return url !== '' && URL.canParse(url) ? url : undefined;
}
