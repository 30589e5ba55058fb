import { describe, expect, it } from 'vitest';
import type { Route } from '../api/control-server.js';
import type { AnyOperation } from '../api/operation.js';
import { OPERATIONS } from '../api/operations.js';
import type { EntityStatus } from '../entities/entity-actor.js';
import { clusterSurface, type PlacedStatus, type SurfaceNode } from './cluster-surface.js';

const status = (name: string, state: EntityStatus['state'] = 'online'): EntityStatus => ({
  kind: 'client',
  name,
  jid: `${name}@x`,
  state,
  reconnectAttempts: 0,
});

/** Every operation as a route that answers `local <operation>` (what the node does itself). */
const localRoutes: Route[] = (Object.entries(OPERATIONS) as [string, AnyOperation][]).map(
  ([name, op]) => ({
    method: op.method,
    path: op.path,
    handle: () => ({ body: `local ${name}` }),
  }),
);

function fakeNode(active = true) {
  const forwarded: { node: string; method: string; path: string; body?: unknown }[] = [];
  const owners: Record<string, string> = { bob: 'node-b', carol: 'node-c' };
  const node: SurfaceNode = {
    active: () => active,
    name: () => 'node-a',
    local: (name) => (name === 'alice' ? status('alice') : undefined),
    localAll: () => [status('alice')],
    remoteOwner: async (name) => {
      const owner = owners[name];
      return owner === undefined ? undefined : { node: owner, apiUrl: `http://${owner}` };
    },
    forward: async (target, request) => {
      forwarded.push({ node: target.node, ...request });
      if (request.path === '/profiles/bob')
        return { status: 200, body: { ...status('bob', 'reconnecting'), node: 'node-b' } };
      return { status: 201, body: `answered by ${target.node}` };
    },
    remoteAll: async (): Promise<PlacedStatus[]> => [
      { ...status('bob', 'reconnecting'), node: 'node-b' },
      // Removed meanwhile: not in the database any more, so not listed.
      { ...status('gone'), node: 'node-c' },
    ],
    stored: async () =>
      ['alice', 'bob', 'carol', 'dave'].map((name) => ({
        kind: 'client' as const,
        name,
        jid: `${name}@x`,
      })),
  };
  return { node, forwarded, routes: clusterSurface(localRoutes, node) };
}

const call = (routes: Route[], key: string, params: Record<string, string>, body?: unknown) => {
  const op = OPERATIONS[key as keyof typeof OPERATIONS] as AnyOperation;
  const route = routes.find((r) => r.method === op.method && r.path === op.path) as Route;
  return route.handle({
    params,
    query: new URLSearchParams(),
    body,
    signal: new AbortController().signal,
  });
};

describe('one control surface over the cluster', () => {
  it('answers everything locally outside cluster mode', async () => {
    const { routes, forwarded } = fakeNode(false);
    expect(
      await call(routes, 'message.send', { profile: 'bob' }, { to: 'x@y', message: {} }),
    ).toEqual({ body: 'local message.send' });
    expect(forwarded).toEqual([]);
  });

  it('forwards an operation needing the live connection to the owner, as the same request', async () => {
    const { routes, forwarded } = fakeNode();
    const body = { to: 'peer@x', message: { '': 'hi' } };
    expect(await call(routes, 'message.send', { profile: 'bob' }, body)).toEqual({
      status: 201,
      body: 'answered by node-b',
    });
    await call(routes, 'profile.disconnect', { name: 'carol' });
    await call(routes, 'muc.leave', { profile: 'bob', room: 'room@muc.x' });
    await call(routes, 'roster.list', { profile: 'carol' });
    await call(routes, 'cache.sync', {}, { profile: 'bob', service: 's', node: 'n' });
    expect(forwarded.map((f) => `${f.node} ${f.method} ${f.path}`)).toEqual([
      'node-b POST /profiles/bob/messages',
      'node-c POST /profiles/carol/disconnect',
      'node-b DELETE /profiles/bob/rooms/room%40muc.x',
      'node-c GET /profiles/carol/roster',
      'node-b POST /cache/sync',
    ]);
    expect(forwarded[0]?.body).toEqual(body);
  });

  it('answers here what runs here, what the database holds, and entities with no live owner', async () => {
    const { routes, forwarded } = fakeNode();
    expect(await call(routes, 'message.send', { profile: 'alice' }, {})).toEqual({
      body: 'local message.send',
    });
    expect(await call(routes, 'history.query', { profile: 'bob' })).toEqual({
      body: 'local history.query',
    });
    // dave has no owner (its shard is moving): the node's own answer (a clear error there).
    expect(await call(routes, 'profile.connect', { name: 'dave' })).toEqual({
      body: 'local profile.connect',
    });
    expect(forwarded).toEqual([]);
  });

  it('gets one profile from its owner, or from the database with no node', async () => {
    const { routes } = fakeNode();
    expect(await call(routes, 'profile.get', { name: 'alice' })).toEqual({
      body: { ...status('alice'), node: 'node-a' },
    });
    expect(await call(routes, 'profile.get', { name: 'bob' })).toEqual({
      body: { ...status('bob', 'reconnecting'), node: 'node-b' },
    });
    expect(await call(routes, 'profile.get', { name: 'dave' })).toEqual({
      body: { ...status('dave', 'offline'), node: null },
    });
    await expect(call(routes, 'profile.get', { name: 'nobody' })).rejects.toMatchObject({
      code: 'profile.not-found',
    });
  });

  it('lists and counts the entities of every node plus the stored ones nobody runs', async () => {
    const { routes } = fakeNode();
    const listed = (await call(routes, 'profile.list', {})).body as PlacedStatus[];
    expect(listed.map((s) => `${s.name} ${s.state} ${s.node}`)).toEqual([
      'alice online node-a',
      'bob reconnecting node-b',
      'carol offline null',
      'dave offline null',
    ]);
    expect((await call(routes, 'profile.counts', {})).body).toMatchObject({
      profiles: { total: 4, states: { online: 1, reconnecting: 1, offline: 2 } },
    });
  });
});
