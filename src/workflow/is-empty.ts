/**
 * The "empty message" rule: a message with no body text, no subject text and no attachment,
 * and which is not a local `info` message, is not stored in history nor announced (chat state
 * notifications, receipts and markers arrive as such messages).
 */
import { attachmentsOf } from './attachments.js';
import type { MessageData } from './message-data.js';

/**
 * Whether the message carries nothing worth storing.
 *
 * @example
 * isEmptyMessage({ ...m, message: { '': '' }, subject: {}, extra: {} }); // true
 */
export function isEmptyMessage(message: MessageData): boolean {
  if (message.type === 'info') return false;
  if (Object.values(message.message).some((text) => text !== '')) return false;
  if (Object.values(message.subject).some((text) => text !== '')) return false;
  return attachmentsOf(message).length === 0;
}
