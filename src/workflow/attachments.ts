/**
 * Attachment metadata (Libervia's `extra.attachments`): what parsing found in XEP-0066,
 * XEP-0447 or XEP-0385 elements, completed with a file name taken from the URL and a media
 * type guessed from the name's extension.
 *
 * @see https://xmpp.org/extensions/xep-0066.html
 * @see https://xmpp.org/extensions/xep-0447.html
 */
import type { JsonValue, MessageData } from './message-data.js';

/** One attached file. Plain JSON, stored in `extra.attachments`. */
export interface Attachment {
  readonly url?: string;
  /** Every place the file can be fetched from (XEP-0447 sources); `url` is the first. */
  readonly sources?: readonly { readonly url: string }[];
  readonly name?: string;
  readonly mediaType?: string;
  readonly desc?: string;
  /** Size in bytes. */
  readonly size?: number;
  /** XEP-0300 hashes: algorithm → base64 digest. */
  readonly hashes?: Readonly<Record<string, string>>;
}

// A small table on purpose: the common types people share in chats.
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  heic: 'image/heic',
  svg: 'image/svg+xml',
  bmp: 'image/bmp',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  csv: 'text/csv',
  json: 'application/json',
  xml: 'application/xml',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  '7z': 'application/x-7z-compressed',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * The media type for a file name's extension, or `undefined` when unknown.
 *
 * @example
 * guessMediaType('Photo.JPG'); // 'image/jpeg'
 */
export function guessMediaType(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return undefined;
  return MEDIA_TYPES[name.slice(dot + 1).toLowerCase()];
}

/**
 * The percent-decoded last path segment of a URL, or `undefined` when there is none (or the
 * text is not a URL). A malformed percent escape keeps the raw segment.
 *
 * @example
 * nameFromUrl('https://up.example/a/b/Holiday%20pic.jpg?x=1'); // 'Holiday pic.jpg'
 */
export function nameFromUrl(url: string): string | undefined {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const segment = path.slice(path.lastIndexOf('/') + 1);
  if (segment === '') return undefined;
  let name = segment;
  try {
    name = decodeURIComponent(segment);
  } catch {
    // Malformed escape: keep the segment as it came.
  }
  // A decoded "/" would read as a path; a name is one segment.
  name = name.replaceAll('/', '_');
  return name === '' ? undefined : name;
}

/**
 * Fills in `name` (from the URL) and `mediaType` (from the name) when they are missing; values
 * already present are kept.
 *
 * @example
 * completeAttachment({ url: 'https://x.example/f/cat.png' });
 * // { url: 'https://x.example/f/cat.png', name: 'cat.png', mediaType: 'image/png' }
 */
export function completeAttachment(attachment: Attachment): Attachment {
  let completed = attachment;
  const url = attachment.url ?? attachment.sources?.[0]?.url;
  if (completed.name === undefined && url !== undefined) {
    const name = nameFromUrl(url);
    if (name !== undefined) completed = { ...completed, name };
  }
  if (completed.mediaType === undefined && completed.name !== undefined) {
    const mediaType = guessMediaType(completed.name);
    if (mediaType !== undefined) completed = { ...completed, mediaType };
  }
  return completed;
}

/** The attachments of a message (an empty list when it has none or they are malformed). */
export function attachmentsOf(message: MessageData): Attachment[] {
  const value = message.extra['attachments'];
  if (!Array.isArray(value)) return [];
  return value.filter(
    (a): a is JsonValue & Attachment => a !== null && typeof a === 'object' && !Array.isArray(a),
  ) as Attachment[];
}

/** The message with every attachment completed (the same object when it has none). */
export function completeAttachments(message: MessageData): MessageData {
  const attachments = attachmentsOf(message);
  if (attachments.length === 0) return message;
  const completed = attachments.map(completeAttachment) as unknown as JsonValue;
  return { ...message, extra: { ...message.extra, attachments: completed } };
}
