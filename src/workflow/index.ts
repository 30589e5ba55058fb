// The message workflow's public surface (re-exports only).
export * from './attachments.js';
export * from './build-message.js';
export * from './component-namespace.js';
export * from './datetime.js';
export * from './errors.js';
export * from './hooks.js';
export * from './is-empty.js';
export * from './jid.js';
export * from './message-data.js';
export * from './namespaces.js';
export * from './parse-attachments.js';
export * from './parse-message.js';
export * from './pipeline.js';
export * from './receive-pipeline.js';
export * from './send-pipeline.js';
export * from './send-request.js';
export type { XmlChild, XmlElement } from './xml.js';
export { el, isXmlElement, parseXml } from './xml.js';
