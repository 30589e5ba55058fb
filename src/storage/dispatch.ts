/** Maps each request type to its handler; the one place that knows every message. */
import { AviaryError, isAviaryError } from '../errors.js';
import type { HandlerContext } from './handler-context.js';
import { addHistory, markDelivered, queryHistory } from './history.js';
import { searchItems } from './item-search.js';
import type { StorageRequest, StorageResults } from './messages.js';
import {
  createComponent,
  createProfile,
  deleteComponent,
  deleteProfile,
  getComponent,
  getProfile,
  listComponents,
  listProfiles,
  updateProfile,
} from './profiles.js';
import { deleteItems, getItems, upsertItems } from './pubsub-items.js';
import {
  deleteNodes,
  getNode,
  purgeItems,
  resetCache,
  setNode,
  setSyncState,
} from './pubsub-nodes.js';
import { ensurePaths } from './search-paths.js';
import {
  deleteParam,
  deletePrivate,
  getParam,
  getPrivate,
  setParam,
  setPrivate,
} from './settings.js';

type Handlers = {
  [T in StorageRequest['type']]: (
    ctx: HandlerContext,
    req: Extract<StorageRequest, { type: T }>,
  ) => StorageResults[T];
};

const HANDLERS: Handlers = {
  'profile.create': createProfile,
  'profile.delete': deleteProfile,
  'profile.update': updateProfile,
  'profile.get': getProfile,
  'profile.list': listProfiles,
  'component.create': createComponent,
  'component.delete': deleteComponent,
  'component.get': getComponent,
  'component.list': listComponents,
  'param.get': getParam,
  'param.set': setParam,
  'param.delete': deleteParam,
  'private.get': getPrivate,
  'private.set': setPrivate,
  'private.delete': deletePrivate,
  'history.add': addHistory,
  'history.query': queryHistory,
  'history.delivered': markDelivered,
  'pubsub.node.get': getNode,
  'pubsub.node.set': setNode,
  'pubsub.node.sync-state': setSyncState,
  'pubsub.nodes.delete': deleteNodes,
  'pubsub.items.upsert': upsertItems,
  'pubsub.items.delete': deleteItems,
  'pubsub.items.get': getItems,
  'pubsub.purge': purgeItems,
  'pubsub.reset': resetCache,
  'pubsub.items.search': searchItems,
  'pubsub.paths.ensure': ensurePaths,
};

/**
 * Runs one request. Throws only `AviaryError`s: SQLite errors become `storage.bad-argument`
 * (malformed full-text query, constraint) or `storage.statement-failed`.
 */
export function dispatch(ctx: HandlerContext, request: StorageRequest): unknown {
  const handler = (
    HANDLERS as Record<string, ((c: HandlerContext, r: StorageRequest) => unknown) | undefined>
  )[typeof request === 'object' && request !== null ? request.type : ''];
  if (handler === undefined) {
    throw new AviaryError(
      'storage.unknown-request',
      `unknown storage request ${JSON.stringify((request as { type?: unknown })?.type)}`,
    );
  }
  try {
    return handler(ctx, request);
  } catch (error) {
    if (isAviaryError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const code = /MATCH|fts|constraint/i.test(message)
      ? 'storage.bad-argument'
      : 'storage.statement-failed';
    throw new AviaryError(code, `${request.type}: ${message}`, { cause: error });
  }
}
