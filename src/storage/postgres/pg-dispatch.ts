/** Maps each request type to its PostgreSQL handler; the PostgreSQL twin of `dispatch.ts`. */
import { AviaryError, isAviaryError } from '../../errors.js';
import type { StorageRequest, StorageResults } from '../messages.js';
import type { PgContext } from './pg-access.js';
import { classifyPgError } from './pg-errors.js';
import { addHistoryBatch, markDelivered, queryHistory } from './pg-history.js';
import { searchItems } from './pg-item-search.js';
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
} from './pg-profiles.js';
import { deleteItems, getItems, upsertItems } from './pg-pubsub-items.js';
import {
  deleteNodes,
  getNode,
  purgeItems,
  resetCache,
  setNode,
  setSyncState,
} from './pg-pubsub-nodes.js';
import { ensurePaths } from './pg-search-paths.js';
import {
  deleteParam,
  deletePrivate,
  getParam,
  getPrivate,
  setParam,
  setPrivate,
} from './pg-settings.js';

type Handlers = {
  [T in StorageRequest['type']]: (
    ctx: PgContext,
    req: Extract<StorageRequest, { type: T }>,
  ) => Promise<StorageResults[T]>;
};

async function addHistory(
  ctx: PgContext,
  req: Extract<StorageRequest, { type: 'history.add' }>,
): Promise<StorageResults['history.add']> {
  const [outcome] = await addHistoryBatch(ctx, [req]);
  if (outcome === undefined) throw new AviaryError('storage.no-outcome', 'no outcome');
  if (!outcome.ok) {
    throw new AviaryError(outcome.error.code, outcome.error.message, {
      ...(outcome.error.details === undefined ? {} : { details: { ...outcome.error.details } }),
    });
  }
  return outcome.value as StorageResults['history.add'];
}

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
 * Runs one request. Throws only `AviaryError`s: `storage.unavailable` when the connection is
 * gone, `storage.bad-argument` for rejected data, `storage.statement-failed` otherwise.
 */
export async function pgDispatch(ctx: PgContext, request: StorageRequest): Promise<unknown> {
  const handler = (
    HANDLERS as Record<string, ((c: PgContext, r: StorageRequest) => Promise<unknown>) | undefined>
  )[typeof request === 'object' && request !== null ? request.type : ''];
  if (handler === undefined) {
    throw new AviaryError(
      'storage.unknown-request',
      `unknown storage request ${JSON.stringify((request as { type?: unknown })?.type)}`,
    );
  }
  try {
    return await handler(ctx, request);
  } catch (error) {
    if (isAviaryError(error)) throw error;
    throw classifyPgError(error, request.type);
  }
}
