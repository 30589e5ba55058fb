import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../src/log.js';
import {
  type Aviary,
  type AviaryOptions,
  createRuntime,
} from '../../src/runtime/default-runtime.js';
import { tempDataDir } from './cli.js';
import type { ProsodyFixture } from './prosody.js';
import { registerServerLog } from './server-logs.js';

/**
 * A logger writing to a file of its own, registered so a failing test prints its tail
 * (test/helpers/failure-logs.ts). Level: AVIARY_TEST_LOG, default `info`.
 */
function fileLogger(label: string): { log: Logger; release: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'aviary-rt-log-'));
  const file = join(dir, 'runtime.log');
  const log = createLogger({
    level: process.env.AVIARY_TEST_LOG ?? 'info',
    destination: openSync(file, 'a'),
  });
  // pino writes asynchronously: flush before reading, so the tail includes the latest lines.
  const read = () =>
    new Promise<string>((resolve) => log.flush(() => resolve(readFileSync(file, 'utf8'))));
  const unregister = registerServerLog(label, read);
  return {
    log,
    release: async () => {
      await unregister();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A runtime on a fresh data folder that trusts the test Prosody's CA (certificates are still
 * verified). Unless `options.log` is given, it logs (level AVIARY_TEST_LOG, default `info`) to a
 * file whose tail a failing test prints; `stop()` releases it.
 */
export async function startTestRuntime(
  prosody: ProsodyFixture | undefined,
  options: Omit<AviaryOptions, 'config'> & {
    config?: Record<string, unknown>;
    dataDir?: string;
  } = {},
): Promise<Aviary> {
  const dataDir = options.dataDir ?? tempDataDir('aviary-rt-');
  let tlsCaFile: string | undefined;
  if (prosody) {
    tlsCaFile = join(dataDir, 'test-ca.pem');
    writeFileSync(tlsCaFile, prosody.caCertPem);
  }
  const { config, ...rest } = options;
  const logging = options.log === undefined ? fileLogger(`aviary runtime ${dataDir}`) : undefined;
  const runtime = createRuntime({
    api: false,
    ...(logging ? { log: logging.log } : {}),
    ...rest,
    config: {
      dataDir,
      ...config,
      xmpp: {
        loginRate: 1000,
        loginBurst: 1000,
        reconnectBaseMs: 200,
        reconnectMaxMs: 2000,
        ...(tlsCaFile ? { tlsCaFile } : {}),
        ...(config?.xmpp as object),
      },
    },
  });
  if (logging) {
    const stop = runtime.stop.bind(runtime);
    runtime.stop = async () => {
      await stop();
      await logging.release();
    };
  }
  await runtime.start();
  return runtime;
}

/** Profile options for an account of the test Prosody. */
export function prosodyAccount(
  prosody: ProsodyFixture,
  username: string,
  password: string,
  name = username,
) {
  return {
    name,
    jid: `${username}@${prosody.domain}`,
    password,
    serverHost: '127.0.0.1',
    serverPort: prosody.c2sPort,
    tls: 'required' as const,
  };
}
