/**
 * One archived message as a direct archive query (`aviary mam`) returns it: plain data, bodies
 * per `xml:lang` like history rows.
 */
import type { ArchivedMessage } from './mam-stanzas.js';

export interface ArchiveItem {
  /** The archive's id (XEP-0313 §3.1). */
  readonly archiveId: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly type: string;
  /** When the archive received it (ms since the epoch), when the server said. */
  readonly timestamp: number | null;
  /** Bodies by `xml:lang` ('' = none given). */
  readonly message: Readonly<Record<string, string>>;
}

export function archiveItem(archived: ArchivedMessage): ArchiveItem {
  const message: Record<string, string> = {};
  for (const body of archived.message.getChildren('body')) {
    const lang = body.attrs['xml:lang'];
    message[typeof lang === 'string' ? lang : ''] = body.getText();
  }
  const attr = (name: string) => {
    const value = archived.message.attrs[name];
    return typeof value === 'string' ? value : null;
  };
  return {
    archiveId: archived.archiveId,
    from: attr('from'),
    to: attr('to'),
    type: attr('type') ?? 'normal',
    timestamp: archived.stamp ?? null,
    message,
  };
}
