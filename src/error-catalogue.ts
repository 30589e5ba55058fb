/**
 * Every error code Aviary raises, in one table: the HTTP status the control API answers with, and
 * what the code means. The control API takes its status from here (never from the shape of the
 * code), and the CLI's API client rebuilds the same coded error from `{ error: { code, message } }`.
 *
 * A code missing from the table answers 500; `src/error-catalogue.test.ts` fails when `src/`
 * raises a code that is not listed, naming it.
 *
 * @example
 * httpStatusFor('storage.unknown-profile'); // 404
 * ERROR_CATALOGUE['api.too-deep'].meaning;  // 'a JSON value nests deeper than the API accepts'
 */

/** One catalogue entry. */
export interface ErrorCodeEntry {
  /** HTTP status of a control API answer carrying this code. */
  readonly status: 400 | 401 | 404 | 405 | 409 | 413 | 415 | 500 | 503 | 504;
  /** A short meaning, for people reading an error or the API description. */
  readonly meaning: string;
}

export const ERROR_CATALOGUE = {
  internal: { status: 500, meaning: 'an unexpected failure (a bug): see the runtime log' },

  // Control API and CLI (src/api, src/cli)
  'api.bad-path': { status: 400, meaning: 'the request path is not valid percent-encoded UTF-8' },
  'api.invalid-request': {
    status: 400,
    meaning: 'a request body or query parameter failed validation',
  },
  'api.malformed-json': { status: 400, meaning: 'the request body is not valid JSON' },
  'api.too-deep': { status: 400, meaning: 'a JSON value nests deeper than the API accepts' },
  'api.not-cloneable': {
    status: 400,
    meaning: 'a request value cannot be handed to another thread (structured clone failed)',
  },
  'api.unauthorized': { status: 401, meaning: 'missing or wrong bearer token' },
  'api.no-endpoint': { status: 404, meaning: 'no endpoint at this path' },
  'api.not-cached': { status: 404, meaning: 'the pubsub node is not in the cache' },
  'api.method-not-allowed': { status: 405, meaning: 'the endpoint does not take this method' },
  'api.body-too-large': {
    status: 413,
    meaning: 'the request body is larger than api.maxBodyBytes',
  },
  'api.unsupported-media-type': { status: 415, meaning: 'request bodies must be application/json' },
  'api.unreachable': { status: 503, meaning: 'the CLI could not reach the runtime control API' },
  'cli.error': { status: 500, meaning: 'a CLI command failed (the message says why)' },
  'cli.usage': { status: 400, meaning: 'a CLI command was called with bad arguments' },
  'cli.no-runtime': {
    status: 503,
    meaning: 'the command needs a running runtime on the data folder and none runs',
  },
  'cli.environment': {
    status: 500,
    meaning:
      'the environment refuses (read-only or full disk, wrong path type, port taken, remote API host)',
  },
  'config.invalid': { status: 400, meaning: 'the configuration failed validation' },

  // Actor kernel (src/actors)
  'actor.not-cloneable': {
    status: 500,
    meaning: 'a message could not be handed to a worker thread (structured clone failed)',
  },
  'actor.ask-aborted': { status: 500, meaning: 'an ask was aborted by its caller' },
  'actor.ask-timeout': { status: 504, meaning: 'an actor did not reply in time' },
  'actor.failed': { status: 500, meaning: 'an actor failed while handling a message' },
  'actor.invalid-options': { status: 500, meaning: 'an actor was spawned with bad options' },
  'actor.mailbox-full': { status: 503, meaning: 'an actor mailbox is full; retry later' },
  'actor.stopped': { status: 503, meaning: 'the actor stopped before handling the message' },
  'actor.worker-exit': { status: 500, meaning: 'a worker thread exited' },

  // Runtime, security (src/runtime, src/security)
  'runtime.data-dir-locked': { status: 409, meaning: 'another runtime owns the data folder' },
  'runtime.lock-failed': { status: 500, meaning: 'the data folder lock could not be taken' },
  'runtime.started': { status: 409, meaning: 'the runtime was already started' },
  'runtime.stopping': { status: 503, meaning: 'the runtime is stopping and takes no new work' },
  'secret.bad-key': { status: 500, meaning: 'the secret key file is not a 32-byte key' },
  'secret.malformed': { status: 500, meaning: 'a stored secret has an unknown format' },
  'secret.undecryptable': { status: 500, meaning: 'a stored secret does not decrypt with the key' },

  // Storage (src/storage)
  'storage.bad-argument': { status: 400, meaning: 'the storage refused an argument' },
  'storage.batch-failed': { status: 500, meaning: 'a storage batch failed and was rolled back' },
  'storage.closed': { status: 503, meaning: 'the storage is closed' },
  'storage.copy-mismatch': {
    status: 500,
    meaning: 'db copy: a row count differs between source and target',
  },
  'storage.item-not-found': { status: 404, meaning: 'no such pubsub item in the cache' },
  'storage.journal-corrupt': { status: 500, meaning: 'the journal is damaged' },
  'storage.journal-missing': {
    status: 500,
    meaning: 'a journal the store needs is missing: start-up refuses (see aviary db recover)',
  },
  'storage.journal-write-failed': { status: 500, meaning: 'the journal could not be written' },
  'storage.migration-failed': { status: 500, meaning: 'a schema migration failed' },
  'storage.manifest-corrupt': { status: 500, meaning: 'the store manifest is damaged' },
  'storage.manifest-missing': {
    status: 500,
    meaning: 'the store manifest is missing while snapshots exist: start-up refuses',
  },
  'storage.manifest-stale': {
    status: 500,
    meaning: 'the manifest names an older state than the files hold: start-up refuses',
  },
  'storage.no-outcome': { status: 500, meaning: 'a storage request ended without an outcome' },
  'storage.profile-exists': { status: 409, meaning: 'a profile or component has this name' },
  'storage.replay-failed': { status: 500, meaning: 'the journal could not be replayed' },
  'storage.snapshot-corrupt': { status: 500, meaning: 'a snapshot is damaged' },
  'storage.snapshot-failed': { status: 500, meaning: 'a snapshot could not be written' },
  'storage.snapshot-missing': {
    status: 500,
    meaning: 'the snapshot the manifest names is missing: start-up refuses',
  },
  'storage.target-not-empty': { status: 409, meaning: 'db copy: the target database is not empty' },
  'storage.unavailable': {
    status: 503,
    meaning: 'the database server cannot be reached; the write was not acknowledged',
  },
  'storage.statement-failed': { status: 500, meaning: 'a database statement failed' },
  'storage.unknown-node': { status: 404, meaning: 'no such cached pubsub node' },
  'storage.unknown-profile': { status: 404, meaning: 'no profile with this name' },
  'storage.unknown-request': { status: 400, meaning: 'the storage does not know this request' },

  // Entities and plugins (src/entities, src/plugins, src/analysers)
  'profile.invalid': { status: 400, meaning: 'the profile request is not valid' },
  'profile.not-found': { status: 404, meaning: 'no profile or component with this name' },
  'component.invalid': { status: 400, meaning: 'the component request is not valid' },
  'entity.offline': { status: 409, meaning: 'the profile is not online; connect it first' },
  'plugin.invalid': { status: 400, meaning: 'a plugin is not valid' },
  'plugin.duplicate': { status: 409, meaning: 'a plugin with this name is registered' },
  'plugin.not-found': { status: 400, meaning: 'no plugin with this name' },
  'plugin.dependency': { status: 400, meaning: 'a plugin dependency is missing or unsuitable' },
  'plugin.cycle': { status: 400, meaning: 'plugin dependencies form a cycle' },
  'plugin.unsupported': { status: 400, meaning: 'the operation is not supported' },
  'analyser.invalid': { status: 400, meaning: 'a pubsub analyser is not valid' },
  'analyser.duplicate': { status: 409, meaning: 'an analyser for this node type exists' },

  // Message workflow (src/workflow)
  'jid.invalid': { status: 400, meaning: 'a JID is not valid (RFC 7622)' },
  'message.invalid': { status: 400, meaning: 'the message is not valid' },
  'stanza.invalid': { status: 400, meaning: 'a stanza is not valid' },
  'workflow.hook-failed': { status: 500, meaning: 'a plugin hook failed the message' },
  'workflow.hook-cannot-cancel': {
    status: 500,
    meaning: 'a plugin cancelled where cancelling is not allowed',
  },
  'workflow.stage-failed': { status: 500, meaning: 'a workflow stage failed' },

  // Pubsub cache and parsers (src/cache, src/pubsub, src/parsers)
  'cache.offline': { status: 409, meaning: 'the profile is not connected' },
  'cache.parse-failed': { status: 500, meaning: 'a pubsub item could not be parsed' },
  'cache.sync-cancelled': { status: 409, meaning: 'the synchronisation was cancelled' },
  'pubsub.error': { status: 409, meaning: 'the pubsub service answered an error (XEP-0060)' },
  'pubsub.invalid-response': { status: 500, meaning: 'the pubsub service answered malformed data' },
  'parser.aborted': { status: 500, meaning: 'parsing was cancelled' },
  'parser.closed': { status: 503, meaning: 'the parser pool is closed' },
  'parser.crashed': { status: 500, meaning: 'a parser worker failed' },
  'parser.invalid-options': { status: 500, meaning: 'the parser pool has bad options' },
  'parser.load-failed': { status: 500, meaning: 'a parser module could not be loaded' },
  'parser.overloaded': { status: 503, meaning: 'the parser pool queue is full' },
  'parser.pool-error': { status: 500, meaning: 'the parser pool failed' },
  'parser.timeout': { status: 504, meaning: 'a parser took too long' },

  // XMPP connections (src/xmpp, src/transport)
  'xmpp.stanza-too-large': {
    status: 500,
    meaning: 'a reply from the XMPP server exceeded the stanza limit and was skipped',
  },
  'xmpp.auth-failed': { status: 409, meaning: 'the server refused the credentials (RFC 6120 §6)' },
  'xmpp.bad-jid': { status: 400, meaning: 'not a user JID' },
  'xmpp.busy': { status: 409, meaning: 'the connection is already connecting' },
  'xmpp.component-auth-failed': { status: 409, meaning: 'the server refused the component secret' },
  'xmpp.connection-closed': { status: 503, meaning: 'the server closed the connection' },
  'xmpp.connection-failed': { status: 503, meaning: 'the connection to the server failed' },
  'xmpp.disconnected': {
    status: 409,
    meaning: 'our own disconnect ended a connection attempt before it was open',
  },
  'xmpp.insecure-transport': { status: 409, meaning: 'the TLS policy forbids this transport' },
  'xmpp.not-connected': { status: 409, meaning: 'the connection is not open' },
  'xmpp.policy-violation': { status: 500, meaning: 'a stream was closed for a policy violation' },
  'xmpp.rate-limit-aborted': { status: 503, meaning: 'gave up waiting for a login token' },
  'xmpp.stanza-error': { status: 409, meaning: 'the peer answered a stanza error (RFC 6120 §8.3)' },
  'xmpp.stream-error': {
    status: 503,
    meaning: 'a stream error ended the connection (RFC 6120 §4.9)',
  },
  'xmpp.timeout': { status: 504, meaning: 'the server did not answer in time' },
  'xmpp.tls-failed': { status: 503, meaning: 'TLS could not be established or verified' },
  'xmpp.unexpected': { status: 500, meaning: 'the server sent something out of protocol' },

  // Load harness (src/loadtest)
  'loadtest.bad-accounts': { status: 400, meaning: 'the load-test accounts file is not valid' },
  'loadtest.aborted': { status: 500, meaning: 'the load test was aborted' },
  'loadtest.bad-threshold': { status: 400, meaning: 'a --threshold expression is not valid' },
  'loadtest.controller-lost': { status: 503, meaning: 'a load worker lost its controller' },
  'loadtest.failed': { status: 500, meaning: 'the load test failed (logins or provisioning)' },
  'loadtest.refused': { status: 400, meaning: 'the load controller refused a worker' },
  'loadtest.bad-options': { status: 400, meaning: 'load-test options are not valid' },
  'loadtest.bad-scenario': { status: 400, meaning: 'the load-test scenario is not valid' },
  'loadtest.limit': { status: 500, meaning: 'a system limit is too low for the load test' },
  'loadtest.registration-failed': { status: 500, meaning: 'an account could not be registered' },
  'loadtest.remote-target': { status: 400, meaning: 'load tests only target loopback servers' },

  // Roster, presence and subscriptions (src/contacts)
  'contacts.invalid-jid': { status: 400, meaning: 'a contact JID is not a valid JID' },
  'contacts.invalid-setting': {
    status: 400,
    meaning: 'a roster or carbons setting of a profile is not valid',
  },
  'contacts.no-request': {
    status: 404,
    meaning: 'no subscription request from this JID waits for an answer',
  },
  'contacts.not-client': { status: 400, meaning: 'rosters and carbons belong to profiles only' },
  // Message archives (src/mam, src/plugins/builtin/mam.ts)
  'mam.unsupported': { status: 409, meaning: 'the server does not archive messages (XEP-0313)' },
  'mam.bad-reply': { status: 500, meaning: 'the archive answered a query without <fin/>' },
  'mam.incomplete': { status: 504, meaning: 'an archive page ended before all its results came' },
  // Multi-User Chat (src/muc)
  'muc.invalid-request': { status: 400, meaning: 'a room JID or nickname is not valid' },
  'muc.not-joined': { status: 404, meaning: 'the profile is not in this room' },
  'muc.join-failed': { status: 409, meaning: 'the room refused the join or did not answer' },
  // Backup and restore (src/backup)
  'backup.corrupt': { status: 400, meaning: 'a backup file is damaged or not an Aviary backup' },
  'backup.target-not-empty': {
    status: 409,
    meaning: 'restore refuses to write into a data folder that holds files, without --yes',
  },
  'backup.no-store': { status: 404, meaning: 'the data folder holds no store to back up' },
  'profile.import-failed': {
    status: 500,
    meaning: 'one imported row failed for an unexpected reason',
  },
  'cli.no-data-folder': {
    status: 404,
    meaning:
      'the --data-dir folder holds no Aviary store (a typo?); only `aviary run` and `aviary init` create one',
  },
  // Cluster mode (src/cluster)
  'cluster.fenced': {
    status: 409,
    meaning: 'a write was refused: this node no longer holds the lease of the entity shard',
  },
  'cluster.needs-postgres': { status: 400, meaning: 'cluster mode needs a PostgreSQL storage.url' },
  'cluster.wrong-key': {
    status: 500,
    meaning: 'this node secret key cannot decrypt the secrets stored by the cluster',
  },
  'cluster.not-owned': {
    status: 503,
    meaning: 'the entity shard has no live owner right now (a move is in progress)',
  },
  'cluster.forward-failed': {
    status: 503,
    meaning: 'the node owning the entity could not be reached to forward the request',
  },
} as const satisfies Readonly<Record<string, ErrorCodeEntry>>;

/** A catalogued error code. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** True when `code` is in the catalogue. */
export function isCatalogued(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}

/** The HTTP status for an error code; 500 for a code the catalogue does not list. */
export function httpStatusFor(code: string): ErrorCodeEntry['status'] {
  return isCatalogued(code) ? ERROR_CATALOGUE[code].status : 500;
}
