/**
 * The control operations, each declared once: name, input schema, output (the type `run`
 * returns), HTTP method and path, and whether it needs a live runtime. The control API routes
 * (`operation-routes.ts`), the CLI's API client and the library-facing {@link runOperation} all
 * derive from this table; input types are `z.infer` of the schemas.
 *
 * @example
 * await runOperation(aviary, 'profile.add', { name: 'alice', jid: 'alice@example.org', password });
 */
import type { z } from 'zod';
import type { CacheSearchQuery } from '../cache/cache-messages.js';
import { ApiError } from './api-error.js';
import { historySyncInput, mamQueryInput } from './archive-schemas.js';
import {
  contactSettingsInput,
  rosterAddInput,
  rosterListInput,
  rosterRemoveInput,
  subscriptionAnswerInput,
} from './contacts-schemas.js';
import { entityCounts, entityPage } from './entity-page.js';
import {
  entityPageInput,
  exportProfilesInput,
  importProfilesInput,
  modifyProfileInput,
} from './fleet-schemas.js';
import { mucJoinInput, mucLeaveInput, mucListInput } from './muc-schemas.js';
import { type AnyOperation, type ControlFacade, operation, runParsed } from './operation.js';
import { importProfiles } from './profile-import.js';
import {
  addComponentInput,
  addProfileInput,
  byName,
  cacheItemsInput,
  cacheNodeInput,
  cachePurgeInput,
  cacheResetInput,
  cacheSearchInput,
  cacheSyncInput,
  historyInput,
  noInput,
  sendMessageInput,
} from './request-schemas.js';

export const OPERATIONS = {
  'runtime.health': operation({
    summary: 'health of the runtime and each of its parts',
    input: noInput,
    method: 'GET',
    path: '/health',
    needsRuntime: true,
    run: async (aviary) => aviary.health(),
  }),
  'profile.list': operation({
    summary: 'profiles with their connection state (paged by name, filtered by state or prefix)',
    input: entityPageInput,
    method: 'GET',
    path: '/profiles',
    needsRuntime: false,
    run: async (aviary, query) => entityPage(aviary.entities(), 'client', query),
  }),
  'profile.add': operation({
    summary: 'add a profile (an XMPP client account)',
    input: addProfileInput,
    method: 'POST',
    path: '/profiles',
    needsRuntime: false,
    status: () => 201,
    run: (aviary, input) => aviary.addProfile(input),
  }),
  'profile.get': operation({
    summary: 'one profile or component with its connection state',
    input: byName,
    method: 'GET',
    path: '/profiles/:name',
    needsRuntime: false,
    run: async (aviary, { name }) => aviary.entity(name),
  }),
  'profile.remove': operation({
    summary: 'remove a profile with its history and cache',
    input: byName,
    method: 'DELETE',
    path: '/profiles/:name',
    needsRuntime: false,
    run: (aviary, { name }) => aviary.remove(name),
  }),
  'profile.connect': operation({
    summary: 'connect a profile or component',
    input: byName,
    method: 'POST',
    path: '/profiles/:name/connect',
    needsRuntime: true,
    status: () => 202,
    run: async (aviary, { name }) => {
      aviary.connect(name);
      return aviary.entity(name);
    },
  }),
  'profile.disconnect': operation({
    summary: 'disconnect a profile or component',
    input: byName,
    method: 'POST',
    path: '/profiles/:name/disconnect',
    needsRuntime: true,
    run: async (aviary, { name }) => {
      await aviary.disconnect(name);
      return aviary.entity(name);
    },
  }),
  'message.send': operation({
    summary: 'send a message through the workflow',
    input: sendMessageInput,
    method: 'POST',
    path: '/profiles/:profile/messages',
    needsRuntime: true,
    run: (aviary, { profile, sendOnly, ...request }) =>
      aviary.sendMessage(profile, request, { sendOnly: sendOnly === true }),
    status: (result) => (result.outcome === 'sent' ? 201 : 200),
  }),
  'history.query': operation({
    summary: 'stored messages of a profile',
    input: historyInput,
    method: 'GET',
    path: '/profiles/:profile/history',
    needsRuntime: false,
    run: (aviary, { profile, ...query }) => aviary.history(profile, query),
  }),
  'component.list': operation({
    summary: 'components with their connection state (paged by name, filtered by state or prefix)',
    input: entityPageInput,
    method: 'GET',
    path: '/components',
    needsRuntime: false,
    run: async (aviary, query) => entityPage(aviary.entities(), 'component', query),
  }),
  'component.add': operation({
    summary: 'add a component (XEP-0114) started by an entry-point plugin',
    input: addComponentInput,
    method: 'POST',
    path: '/components',
    needsRuntime: false,
    status: () => 201,
    run: (aviary, input) => aviary.addComponent(input),
  }),
  'component.remove': operation({
    summary: 'remove a component',
    input: byName,
    method: 'DELETE',
    path: '/components/:name',
    needsRuntime: false,
    run: (aviary, { name }) => aviary.remove(name),
  }),
  'cache.items': operation({
    summary: 'pubsub items, from the cache when the node is synchronised (XEP-0060 §6.5)',
    input: cacheItemsInput,
    method: 'POST',
    path: '/cache/items',
    needsRuntime: true,
    run: (aviary, { profile, service, node, ...request }) =>
      aviary.cache.getItems({ profile, service, node }, request),
  }),
  'cache.sync': operation({
    summary: 'synchronise a pubsub node into the cache',
    input: cacheSyncInput,
    method: 'POST',
    path: '/cache/sync',
    needsRuntime: true,
    run: (aviary, { resync, ...target }) => aviary.cache.synchronise(target, resync ?? true),
  }),
  'cache.node': operation({
    summary: 'what the cache knows of a node',
    input: cacheNodeInput,
    method: 'GET',
    path: '/cache/node',
    needsRuntime: false,
    run: async (aviary, target) => {
      const info = await aviary.cache.node(target);
      if (info === null) {
        throw new ApiError(
          'api.not-cached',
          `node ${target.node} of ${target.service} is not cached for ${target.profile}`,
        );
      }
      return info;
    },
  }),
  'cache.purge': operation({
    summary: 'delete cached items matching the filters',
    input: cachePurgeInput,
    method: 'POST',
    path: '/cache/purge',
    needsRuntime: false,
    run: (aviary, filters) => aviary.cache.purge(filters),
  }),
  'cache.reset': operation({
    summary: 'drop every cached node (or those of some profiles) with its items',
    input: cacheResetInput,
    method: 'POST',
    path: '/cache/reset',
    needsRuntime: false,
    run: (aviary, { profiles }) => aviary.cache.reset(profiles),
  }),
  'cache.search': operation({
    summary: 'search cached pubsub items (full text, node filters, parsed data)',
    input: cacheSearchInput,
    method: 'POST',
    path: '/cache/search',
    needsRuntime: false,
    // The storage checks every search field (paths, operators, values) and names the bad one.
    run: (aviary, query) => aviary.cache.search(query as CacheSearchQuery),
  }),
  'roster.list': operation({
    summary: "a profile's roster (cached with its version) with each contact's presence",
    input: rosterListInput,
    method: 'GET',
    path: '/profiles/:profile/roster',
    needsRuntime: false,
    run: (aviary, { profile }) => aviary.contacts.roster(aviary.entity(profile).name),
  }),
  'roster.add': operation({
    summary: 'add or update a roster contact (RFC 6121 §2.3), optionally asking for its presence',
    input: rosterAddInput,
    method: 'POST',
    path: '/profiles/:profile/roster',
    needsRuntime: true,
    run: (aviary, { profile, ...item }) =>
      aviary.contacts.addContact(aviary.entity(profile).name, item),
  }),
  'roster.remove': operation({
    summary: 'remove a roster contact and the subscriptions both ways (RFC 6121 §2.5)',
    input: rosterRemoveInput,
    method: 'DELETE',
    path: '/profiles/:profile/roster',
    needsRuntime: true,
    run: (aviary, { profile, jid }) =>
      aviary.contacts.removeContact(aviary.entity(profile).name, jid),
  }),
  'presence.list': operation({
    summary: "the contacts' presence seen on a profile's current stream",
    input: rosterListInput,
    method: 'GET',
    path: '/profiles/:profile/presence',
    needsRuntime: true,
    run: async (aviary, { profile }) => aviary.contacts.presence(aviary.entity(profile).name),
  }),
  'subscription.list': operation({
    summary: 'presence subscription requests waiting for an answer (policy ask)',
    input: rosterListInput,
    method: 'GET',
    path: '/profiles/:profile/subscriptions',
    needsRuntime: true,
    run: async (aviary, { profile }) =>
      aviary.contacts.subscriptionRequests(aviary.entity(profile).name),
  }),
  'subscription.answer': operation({
    summary: 'approve or refuse a pending presence subscription request (RFC 6121 §3.1.4)',
    input: subscriptionAnswerInput,
    method: 'POST',
    path: '/profiles/:profile/subscriptions',
    needsRuntime: true,
    run: (aviary, { profile, jid, accept }) =>
      aviary.contacts.answerSubscription(aviary.entity(profile).name, jid, accept),
  }),
  'contacts.settings': operation({
    summary: "read or change a profile's subscription policy and message carbons setting",
    input: contactSettingsInput,
    method: 'POST',
    path: '/profiles/:profile/contact-settings',
    needsRuntime: false,
    run: (aviary, { profile, ...change }) =>
      aviary.contacts.updateSettings(aviary.entity(profile).name, change),
  }),
  'history.sync': operation({
    summary: 'catch up with the server message archive now (XEP-0313) into history',
    input: historySyncInput,
    method: 'POST',
    path: '/profiles/:profile/history/sync',
    needsRuntime: true,
    run: (aviary, { profile }) => aviary.archives.sync(profile),
  }),
  'mam.query': operation({
    summary: 'read the server message archive directly (XEP-0313); nothing is stored',
    input: mamQueryInput,
    method: 'POST',
    path: '/profiles/:profile/mam',
    needsRuntime: true,
    run: (aviary, { profile, ...search }) => aviary.archives.query(profile, search),
  }),
  'muc.join': operation({
    summary: 'join a Multi-User Chat room (XEP-0045) and keep it joined',
    input: mucJoinInput,
    method: 'POST',
    path: '/profiles/:profile/rooms',
    needsRuntime: true,
    run: (aviary, { profile, ...request }) => aviary.muc.join(profile, request),
  }),
  'muc.leave': operation({
    summary: 'leave a Multi-User Chat room and forget it',
    input: mucLeaveInput,
    method: 'DELETE',
    path: '/profiles/:profile/rooms/:room',
    needsRuntime: true,
    run: (aviary, { profile, room }) => aviary.muc.leave(profile, room),
  }),
  'muc.list': operation({
    summary: 'the rooms of a profile with their state, occupants and subject',
    input: mucListInput,
    method: 'GET',
    path: '/profiles/:profile/rooms',
    needsRuntime: true,
    run: (aviary, { profile }) => aviary.muc.list(profile),
  }),
  'profile.import': operation({
    summary: 'add many profiles at once; bad rows fail alone (dryRun: only check them)',
    input: importProfilesInput,
    method: 'POST',
    path: '/profiles/import',
    needsRuntime: false,
    run: (aviary, { profiles, dryRun }) => importProfiles(aviary, profiles, dryRun === true),
  }),
  'profile.export': operation({
    summary: 'every profile with its settings; passwords only with withSecrets',
    input: exportProfilesInput,
    method: 'POST',
    path: '/profiles/export',
    needsRuntime: false,
    run: (aviary, { withSecrets }) => aviary.exportProfiles(withSecrets === true),
  }),
  'profile.modify': operation({
    summary: "change a profile's password, server host, port or TLS policy",
    input: modifyProfileInput,
    method: 'POST',
    path: '/profiles/:name/modify',
    needsRuntime: false,
    run: (aviary, request) => aviary.modifyProfile(request),
  }),
  'profile.counts': operation({
    summary: 'how many profiles and components are in each connection state',
    input: noInput,
    method: 'GET',
    path: '/profile-counts',
    needsRuntime: false,
    run: async (aviary) => entityCounts(aviary.entities()),
  }),
  'storage.snapshot': operation({
    summary: 'write a storage snapshot now and name it (sql.js; what aviary backup copies)',
    input: noInput,
    method: 'POST',
    path: '/storage/snapshot',
    needsRuntime: false,
    run: (aviary) => aviary.snapshotStorage(),
  }),
} as const;

export type OperationName = keyof typeof OPERATIONS;
/** What the caller gives (before validation fills defaults). */
export type OperationInput<N extends OperationName> = z.input<(typeof OPERATIONS)[N]['input']>;
/** What the operation answers. */
export type OperationOutput<N extends OperationName> = Awaited<
  ReturnType<(typeof OPERATIONS)[N]['run']>
>;

/**
 * Runs an operation on a runtime in this process: the input is validated by the operation's
 * schema (the same check the control API makes), then the library call runs.
 */
export async function runOperation<N extends OperationName>(
  aviary: ControlFacade,
  name: N,
  input: OperationInput<N>,
): Promise<OperationOutput<N>> {
  const op: AnyOperation = OPERATIONS[name];
  return runParsed(op, aviary, input) as Promise<OperationOutput<N>>;
}

export type { AnyOperation, ControlFacade, Operation } from './operation.js';
