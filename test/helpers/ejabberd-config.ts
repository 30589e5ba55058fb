/**
 * The ejabberd.yml of a throwaway test node (see `ejabberd.ts`). Option names are those of
 * ejabberd 23.01 (Debian 12); https://docs.ejabberd.im/admin/configuration/
 */

/** Inputs of {@link ejabberdConfig}. */
export interface EjabberdConfigInput {
  readonly domain: string;
  readonly c2sPort: number;
  readonly certFile: string;
  readonly starttls: boolean;
  readonly logLevel: string;
  /**
   * `sql`: mod_pubsub on SQLite (`node_flat_sql`), which advertises `pubsub#rsm` in disco#info;
   * `mnesia`: `node_flat`, which pages with RSM just the same but does not advertise it.
   */
  readonly pubsubBackend: 'sql' | 'mnesia';
  /** SQLite file for the `sql` backend (ejabberd creates the schema from its lite.sql). */
  readonly sqliteFile: string;
  readonly extraModules: string;
}

/** The ejabberd.yml of a test node (ejabberd 23.01 option names). */
export function ejabberdConfig(o: EjabberdConfigInput): string {
  const sql = o.pubsubBackend === 'sql';
  return `loglevel: ${o.logLevel}
log_rotate_count: 0
hosts:
  - "${o.domain}"
${sql ? `sql_type: sqlite\nsql_database: "${o.sqliteFile}"\n` : ''}certfiles:
  - "${o.certFile}"
listen:
  -
    port: ${o.c2sPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    backlog: 1024 # the default of 5 pending connections stalls logins opened 100 at a time
    max_stanza_size: 10485760
    shaper: none
    access: c2s
    starttls: ${o.starttls}
    starttls_required: false
auth_method: internal
auth_password_format: scram
registration_timeout: infinity
acl:
  local:
    user_regexp: ""
access_rules:
  c2s:
    allow: all
  pubsub_createnode:
    allow: local
  register:
    allow: all
shaper_rules:
  max_user_sessions: 10000
  max_user_offline_messages: 100000
  c2s_shaper: none
modules:
  mod_caps: {}
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_register:
    access: register
    ip_access: all
  mod_pubsub:${sql ? '\n    db_type: sql' : ''}
    access_createnode: pubsub_createnode
    max_items_node: 100000
    plugins:
      - flat
      - pep
    default_node_config:
      access_model: open
      max_items: 100000
${o.extraModules}
`;
}
