/** The transparent pubsub cache: actor, typed client, messages and building blocks. */
export * from './cache-answer.js';
export * from './cache-client.js';
export * from './cache-deps.js';
export * from './cache-events.js';
export * from './cache-messages.js';
export * from './node-analysis.js';
export * from './node-sync.js';
export * from './notify-namespaces.js';
export * from './pubsub-cache-actor.js';
