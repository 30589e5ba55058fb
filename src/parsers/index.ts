export { DATA_FORMS_NS, type DataForm, type DataFormValue, parseDataForm } from './data-form.js';
export {
  ATOM_NS,
  type MicroblogAuthor,
  type MicroblogComments,
  type MicroblogInReplyTo,
  type MicroblogItem,
  type MicroblogLink,
  type MicroblogText,
  parseMicroblog,
  THREAD_NS,
} from './microblog.js';
export { classifyTaskError, type ParserPoolErrorCode } from './parser-errors.js';
export {
  type ParseBatchOptions,
  ParserPool,
  type ParserPoolOptions,
  type ParserPoolStats,
} from './parser-pool.js';
export type {
  ParseItemFailure,
  ParseItemJsonResult,
  ParseItemResult,
  ParseOutput,
  ParseRequest,
  ParseResponse,
  ParserRef,
} from './parser-protocol.js';
export {
  type ItemElement,
  type ItemNode,
  MAX_ITEM_LENGTH,
  parseXmlItem,
  XmlItemError,
} from './xml-item.js';
export { buildXmppUri, parseXmppUri, type XmppUri } from './xmpp-uri.js';
