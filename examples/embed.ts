/**
 * Embedding Aviary as a library: start a runtime on a data folder, add a profile, listen to
 * signals, send a message, read the history, stop.
 *
 *   node dist/examples/embed.js --data-dir ./data-example --jid alice@example.org --to bob@example.org
 *   (password from the AVIARY_EXAMPLE_PASSWORD environment variable)
 *
 * The test `test/examples/embed.test.ts` runs `runExample` against a real Prosody.
 */
import { createRuntime, type EntityStatus, type RuntimeEvents } from '../src/index.js';

export interface ExampleOptions {
  readonly dataDir: string;
  readonly jid: string;
  readonly password: string;
  readonly to: string;
  readonly server?: { host: string; port: number };
  readonly caFile?: string;
  readonly text?: string;
}

export interface ExampleResult {
  readonly status: EntityStatus;
  readonly sentUid: string;
  readonly signals: RuntimeEvents['messageNew'][];
  readonly historyCount: number;
}

export async function runExample(options: ExampleOptions): Promise<ExampleResult> {
  const aviary = createRuntime({
    api: false,
    config: {
      dataDir: options.dataDir,
      log: { level: 'warn' },
      ...(options.caFile ? { xmpp: { tlsCaFile: options.caFile } } : {}),
    },
  });
  const signals: RuntimeEvents['messageNew'][] = [];
  aviary.events.on('messageNew', (message) => signals.push(message));
  aviary.events.on('connectionState', (e) =>
    console.error(`${e.name}: ${e.state}${e.reason ? ` (${e.reason})` : ''}`),
  );
  await aviary.start();
  try {
    await aviary.addProfile({
      name: 'example',
      jid: options.jid,
      password: options.password,
      ...(options.server
        ? { serverHost: options.server.host, serverPort: options.server.port }
        : {}),
    });
    const status = await aviary.waitForState('example', 'online', 30_000);
    const result = await aviary.sendMessage('example', {
      to: options.to,
      message: { '': options.text ?? 'Hello from Aviary' },
    });
    if (result.outcome !== 'sent')
      throw new Error(`message cancelled by ${result.plugin}: ${result.reason}`);
    const history = await aviary.history('example', { with: options.to });
    return { status, sentUid: result.message.uid, signals, historyCount: history.length };
  } finally {
    await aviary.stop();
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '');
if (invokedDirectly) {
  const arg = (flag: string) => {
    const at = process.argv.indexOf(flag);
    return at >= 0 ? process.argv[at + 1] : undefined;
  };
  const password = process.env.AVIARY_EXAMPLE_PASSWORD;
  const jid = arg('--jid');
  const to = arg('--to');
  if (!password || !jid || !to) {
    console.error(
      'usage: AVIARY_EXAMPLE_PASSWORD=... node dist/examples/embed.js --jid JID --to JID [--data-dir DIR]',
    );
    process.exit(2);
  }
  const result = await runExample({
    dataDir: arg('--data-dir') ?? './data-example',
    jid,
    password,
    to,
  });
  console.log(`sent ${result.sentUid}; history with ${to}: ${result.historyCount} message(s)`);
}
