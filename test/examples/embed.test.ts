import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExample } from '../../examples/embed.js';
import { tempDataDir } from '../helpers/cli.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';

let prosody: ProsodyFixture;
beforeAll(async () => {
  prosody = await startProsody({
    users: [
      { username: 'alice', password: 'alice-pw' },
      { username: 'bob', password: 'bob-pw' },
    ],
  });
});
afterAll(async () => {
  await prosody?.stop();
});

describe('the embedding example', () => {
  it('starts a runtime, goes online over verified TLS, sends, stores and stops', async () => {
    const dataDir = tempDataDir('aviary-example-');
    const caFile = join(dataDir, 'ca.pem');
    writeFileSync(caFile, prosody.caCertPem);
    const result = await runExample({
      dataDir,
      jid: `alice@${prosody.domain}`,
      password: 'alice-pw',
      to: `bob@${prosody.domain}`,
      server: { host: '127.0.0.1', port: prosody.c2sPort },
      caFile,
      text: 'example text',
    });
    expect(result.status.state).toBe('online');
    expect(result.historyCount).toBe(1);
    expect(result.signals.map((s) => [s.direction, s.uid])).toEqual([['out', result.sentUid]]);
    expect(result.signals[0]?.message).toEqual({ '': 'example text' });
  });
});
