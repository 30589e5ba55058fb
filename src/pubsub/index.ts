/** XEP-0060 pubsub protocol layer: stanza builders, reply parsers, event parsing and a thin client. */
export * from './data-form.js';
export * from './disco-info.js';
export * from './event.js';
export * from './item.js';
export * from './items.js';
export * from './namespaces.js';
export * from './node-admin.js';
export * from './publish.js';
export * from './pubsub-client.js';
export * from './pubsub-error.js';
export * from './rsm.js';
export * from './subscriptions.js';
export * from './xml.js';
