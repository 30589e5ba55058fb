import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/log.js';
import {
  type Aviary,
  type AviaryOptions,
  createRuntime,
} from '../../src/runtime/default-runtime.js';
import { tempDataDir } from './cli.js';
import type { ProsodyFixture } from './prosody.js';

/**
 * A runtime on a fresh data folder that trusts the test Prosody's CA (certificates are still
 * verified). Logs go nowhere unless AVIARY_TEST_LOG is set.
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
  const runtime = createRuntime({
    api: false,
    log: createLogger({ level: process.env.AVIARY_TEST_LOG ?? 'silent' }),
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
