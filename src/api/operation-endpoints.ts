/**
 * Where each control operation lives over HTTP, as plain data: what the CLI's API client needs
 * to call a running runtime without loading the operation table, its zod schemas or the
 * runtime (a `status` or `profile list` then starts in a fraction of the time). The table of
 * `operations.ts` stays the source of truth: `operation-endpoints.test.ts` checks every entry
 * here against it, and the compiler refuses an operation missing here.
 */
import type { OperationName } from './operations.js';

/** The HTTP address of one operation and whether it needs a running runtime. */
export interface OperationEndpoint {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path with `:field` segments naming input fields. */
  readonly path: string;
  readonly needsRuntime: boolean;
}

export const OPERATION_ENDPOINTS: Readonly<Record<OperationName, OperationEndpoint>> = {
  'runtime.health': { method: 'GET', path: '/health', needsRuntime: true },
  'profile.list': { method: 'GET', path: '/profiles', needsRuntime: false },
  'profile.add': { method: 'POST', path: '/profiles', needsRuntime: false },
  'profile.get': { method: 'GET', path: '/profiles/:name', needsRuntime: false },
  'profile.remove': { method: 'DELETE', path: '/profiles/:name', needsRuntime: false },
  'profile.connect': { method: 'POST', path: '/profiles/:name/connect', needsRuntime: true },
  'profile.disconnect': { method: 'POST', path: '/profiles/:name/disconnect', needsRuntime: true },
  'message.send': { method: 'POST', path: '/profiles/:profile/messages', needsRuntime: true },
  'history.query': { method: 'GET', path: '/profiles/:profile/history', needsRuntime: false },
  'component.list': { method: 'GET', path: '/components', needsRuntime: false },
  'component.add': { method: 'POST', path: '/components', needsRuntime: false },
  'component.remove': { method: 'DELETE', path: '/components/:name', needsRuntime: false },
  'cache.items': { method: 'POST', path: '/cache/items', needsRuntime: true },
  'cache.sync': { method: 'POST', path: '/cache/sync', needsRuntime: true },
  'cache.node': { method: 'GET', path: '/cache/node', needsRuntime: false },
  'cache.purge': { method: 'POST', path: '/cache/purge', needsRuntime: false },
  'cache.reset': { method: 'POST', path: '/cache/reset', needsRuntime: false },
  'cache.search': { method: 'POST', path: '/cache/search', needsRuntime: false },
  'roster.list': { method: 'GET', path: '/profiles/:profile/roster', needsRuntime: false },
  'roster.add': { method: 'POST', path: '/profiles/:profile/roster', needsRuntime: true },
  'roster.remove': { method: 'DELETE', path: '/profiles/:profile/roster', needsRuntime: true },
  'presence.list': { method: 'GET', path: '/profiles/:profile/presence', needsRuntime: true },
  'subscription.list': {
    method: 'GET',
    path: '/profiles/:profile/subscriptions',
    needsRuntime: true,
  },
  'subscription.answer': {
    method: 'POST',
    path: '/profiles/:profile/subscriptions',
    needsRuntime: true,
  },
  'contacts.settings': {
    method: 'POST',
    path: '/profiles/:profile/contact-settings',
    needsRuntime: false,
  },
  'history.sync': { method: 'POST', path: '/profiles/:profile/history/sync', needsRuntime: true },
  'mam.query': { method: 'POST', path: '/profiles/:profile/mam', needsRuntime: true },
  'muc.join': { method: 'POST', path: '/profiles/:profile/rooms', needsRuntime: true },
  'muc.leave': { method: 'DELETE', path: '/profiles/:profile/rooms/:room', needsRuntime: true },
  'muc.list': { method: 'GET', path: '/profiles/:profile/rooms', needsRuntime: true },
  'profile.import': { method: 'POST', path: '/profiles/import', needsRuntime: false },
  'profile.export': { method: 'POST', path: '/profiles/export', needsRuntime: false },
  'profile.modify': { method: 'POST', path: '/profiles/:name/modify', needsRuntime: false },
  'profile.counts': { method: 'GET', path: '/profile-counts', needsRuntime: false },
  'storage.snapshot': { method: 'POST', path: '/storage/snapshot', needsRuntime: false },
};

/** The endpoint of `name`. */
export function endpointOf(name: OperationName): OperationEndpoint {
  return OPERATION_ENDPOINTS[name];
}
