/**
 * Reading and writing profile files for `aviary profile import|export`: CSV with a header row
 * (RFC 4180: quoted fields, doubled quotes, CRLF or LF) or JSON lines (one object per line).
 * Column names: name, jid, password, password_env (the environment variable holding this row's
 * password), server, port, tls (required|optional|off), autoconnect (true|false), ca_file,
 * verify_tls (true|false); camelCase (serverHost, passwordEnv...) is accepted too.
 */

/** One data row of the file with the line it starts on (1-based, the header is line 1 in CSV). */
export interface FileRow {
  readonly line: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A row the file itself made unusable (bad JSON, wrong column count...). */
export interface FileProblem {
  readonly line: number;
  readonly reason: string;
}

export type ProfileFileFormat = 'csv' | 'jsonl';

/** The format of `path` from its extension (`.csv`; `.jsonl`, `.ndjson`, `.json`), else undefined. */
export function formatOfPath(path: string): ProfileFileFormat | undefined {
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(jsonl|ndjson|json)$/i.test(path)) return 'jsonl';
  return undefined;
}

/** Splits CSV text into records of fields, each with the line it starts on. */
export function parseCsvRecords(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      any = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      any = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (any || field !== '') records.push({ line: start, fields: [...fields, field] });
      fields = [];
      field = '';
      any = false;
      line++;
      start = line;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || field !== '') records.push({ line: start, fields: [...fields, field] });
  return records;
}

/** Parses a whole file: the rows, and the lines that could not be read. */
export function parseProfileFile(
  text: string,
  format: ProfileFileFormat,
): { rows: FileRow[]; problems: FileProblem[] } {
  return format === 'csv' ? parseCsv(text) : parseJsonLines(text);
}

function parseCsv(text: string): { rows: FileRow[]; problems: FileProblem[] } {
  const [header, ...records] = parseCsvRecords(text.replace(/^\uFEFF/, ''));
  if (header === undefined) return { rows: [], problems: [] };
  const columns = header.fields.map((c) => c.trim());
  const rows: FileRow[] = [];
  const problems: FileProblem[] = [];
  for (const record of records) {
    if (record.fields.length !== columns.length) {
      problems.push({
        line: record.line,
        reason: `${record.fields.length} fields where the header has ${columns.length}`,
      });
      continue;
    }
    const fields: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      const value = record.fields[i] as string;
      if (value !== '') fields[column] = value;
    });
    rows.push({ line: record.line, fields });
  }
  return { rows, problems };
}

function parseJsonLines(text: string): { rows: FileRow[]; problems: FileProblem[] } {
  const rows: FileRow[] = [];
  const problems: FileProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      const value = JSON.parse(raw) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        problems.push({ line: i + 1, reason: 'not a JSON object' });
      else rows.push({ line: i + 1, fields: value as Record<string, unknown> });
    } catch (error) {
      problems.push({ line: i + 1, reason: `invalid JSON: ${(error as Error).message}` });
    }
  });
  return { rows, problems };
}

const ALIASES: Readonly<Record<string, string>> = {
  name: 'name',
  jid: 'jid',
  password: 'password',
  password_env: 'passwordEnv',
  passwordenv: 'passwordEnv',
  server: 'serverHost',
  server_host: 'serverHost',
  serverhost: 'serverHost',
  port: 'serverPort',
  server_port: 'serverPort',
  serverport: 'serverPort',
  tls: 'tls',
  autoconnect: 'autoconnect',
  ca_file: 'caFile',
  cafile: 'caFile',
  verify_tls: 'verifyTls',
  verifytls: 'verifyTls',
};

function asBoolean(value: unknown, column: string): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(text)) return true;
  if (['false', 'no', '0', 'off'].includes(text)) return false;
  throw new Error(`${column} must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * Turns one file row into a `profile.add` request: column aliases resolved, numbers and
 * booleans read from text, `tls off` as `disabled`, and the password taken from the row, from
 * the row's `password_env` variable, or else from `defaultPasswordEnv`. Throws an Error whose
 * message is the reason to report for this line.
 */
export function profileRequestOfRow(
  fields: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
  defaultPasswordEnv: string | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    const name = ALIASES[key.toLowerCase()];
    if (name === undefined) throw new Error(`unknown column ${JSON.stringify(key)}`);
    out[name] = value;
  }
  if (out.serverPort !== undefined && typeof out.serverPort !== 'number') {
    const port = Number(out.serverPort);
    if (!Number.isInteger(port))
      throw new Error(`port must be a number, got ${String(out.serverPort)}`);
    out.serverPort = port;
  }
  if (out.tls === 'off') out.tls = 'disabled';
  for (const key of ['autoconnect', 'verifyTls'] as const)
    if (out[key] !== undefined) out[key] = asBoolean(out[key], key);
  if (out.password !== undefined && out.passwordEnv !== undefined)
    throw new Error('give either password or password_env, not both');
  const variable = out.passwordEnv ?? (out.password === undefined ? defaultPasswordEnv : undefined);
  delete out.passwordEnv;
  if (variable !== undefined) {
    const value = env[String(variable)];
    if (value === undefined || value === '')
      throw new Error(`environment variable ${String(variable)} (the password) is empty or unset`);
    out.password = value;
  }
  if (out.password === undefined)
    throw new Error('no password: give a password or password_env column, or --password-env VAR');
  return out;
}

/** The CSV text of one field: quoted when it holds a comma, quote or line break. */
function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Column order of an exported CSV (the import reads it back as is). */
export const EXPORT_COLUMNS = [
  'name',
  'jid',
  'server',
  'port',
  'tls',
  'autoconnect',
  'password',
] as const;

/** One exported profile as a line of the chosen format (no newline). */
export function exportLine(
  profile: {
    readonly name: string;
    readonly jid: string;
    readonly serverHost: string | null;
    readonly serverPort: number | null;
    readonly tls: string;
    readonly autoconnect: boolean;
    readonly password?: string;
  },
  format: ProfileFileFormat,
  columns: readonly (typeof EXPORT_COLUMNS)[number][] = EXPORT_COLUMNS,
): string {
  const row = {
    name: profile.name,
    jid: profile.jid,
    server: profile.serverHost,
    port: profile.serverPort,
    tls: profile.tls === 'disabled' ? 'off' : profile.tls,
    autoconnect: profile.autoconnect,
    password: profile.password,
  };
  if (format === 'jsonl') {
    const compact = Object.fromEntries(
      Object.entries(row).filter(([, v]) => v !== null && v !== undefined),
    );
    return JSON.stringify(compact);
  }
  return columns.map((c) => csvField(row[c])).join(',');
}
