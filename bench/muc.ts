/**
 * `npm run bench -- muc [--profiles 50] [--messages 200] [--rounds 3]`
 *
 * Groupchat throughput through a room with `--profiles` profiles of one runtime in it (XEP-0045,
 * real Prosody with `muc` and `muc_mam` on loopback): a raw client says `--messages` messages in
 * the room; the round ends when every profile has each one in history (`messageNew`, which fires
 * once the row is durable). Baseline in the same run: the same number of deliveries as 1:1 chat
 * messages (the raw client sends `--messages` chat messages to each profile). Rounds alternate;
 * medians are reported, with the ratio groupchat/1:1 of deliveries per second.
 *
 * CPU is this process's (the runtime and the raw sender share it); Prosody runs apart.
 */
import xml from '@xmpp/xml';
import { createLogger } from '../src/log.js';
import { type Aviary, createRuntime } from '../src/runtime/default-runtime.js';
import { tempDataDir } from '../test/helpers/cli.js';
import { startProsody } from '../test/helpers/prosody.js';
import { rawPeer } from '../test/helpers/reliability.js';
import { type BenchRow, median, publish } from './report.js';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

/** Resolves once `messageNew` (incoming) was seen `count` times for `filter`'s messages. */
function arrivals(aviary: Aviary, count: number, filter: (type: string) => boolean) {
  let seen = 0;
  return new Promise<void>((resolve) => {
    const on = (event: { direction: string; type: string }) => {
      if (event.direction !== 'in' || !filter(event.type)) return;
      if (++seen === count) {
        aviary.events.off('messageNew', on);
        resolve();
      }
    };
    aviary.events.on('messageNew', on);
  });
}

async function measure(deliveries: number, body: () => Promise<void>) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await body();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    wallMs,
    perSecond: (deliveries * 1000) / wallMs,
    cpuUsPerDelivery: (cpu.user + cpu.system) / deliveries,
  };
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'options: --profiles N (50) --messages N per round (200) --rounds N (3)\n',
    );
    return;
  }
  const profiles = option(args, 'profiles', 50);
  const messages = option(args, 'messages', 200);
  const rounds = option(args, 'rounds', 3);
  const names = Array.from({ length: profiles }, (_, i) => `p${i}`);
  const users = [
    ...names.map((name) => ({ username: name, password: `pw-${name}` })),
    { username: 'sender', password: 'pw-sender' },
  ];
  const prosody = await startProsody({ users, muc: true, logLevel: 'warn' });
  const dataDir = tempDataDir('aviary-bench-muc-');
  const { writeFileSync } = await import('node:fs');
  const tlsCaFile = `${dataDir}/test-ca.pem`;
  writeFileSync(tlsCaFile, prosody.caCertPem);
  const aviary = createRuntime({
    api: false,
    log: createLogger({ level: 'warn' }),
    config: { dataDir, xmpp: { loginRate: 1000, loginBurst: 1000, tlsCaFile } },
  });
  const sender = await rawPeer(prosody, 'sender', 'pw-sender');
  const room = `bench@${prosody.mucDomain}`;
  try {
    await aviary.start();
    for (const name of names)
      await aviary.addProfile({
        name,
        jid: `${name}@${prosody.domain}`,
        password: `pw-${name}`,
        serverHost: '127.0.0.1',
        serverPort: prosody.c2sPort,
        tls: 'required',
      });
    await Promise.all(names.map((name) => aviary.waitForState(name, 'online', 120_000)));
    for (const name of names) await aviary.muc.join(name, { room, nick: name, maxStanzas: 0 });
    await sender.send(
      xml(
        'presence',
        { to: `${room}/sender` },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
      ),
    );

    const deliveries = profiles * messages;
    const groupchat: ReturnType<typeof measure> extends Promise<infer R> ? R[] : never = [];
    const direct: typeof groupchat = [];
    for (let round = 0; round < rounds; round++) {
      groupchat.push(
        await measure(deliveries, async () => {
          const done = arrivals(aviary, deliveries, (type) => type === 'groupchat');
          for (let i = 0; i < messages; i++)
            await sender.send(
              xml('message', { to: room, type: 'groupchat' }, xml('body', {}, `r${round} g${i}`)),
            );
          await done;
        }),
      );
      direct.push(
        await measure(deliveries, async () => {
          const done = arrivals(aviary, deliveries, (type) => type === 'chat');
          for (let i = 0; i < messages; i++)
            for (const name of names)
              await sender.send(
                xml(
                  'message',
                  { to: `${name}@${prosody.domain}`, type: 'chat' },
                  xml('body', {}, `r${round} c${i}`),
                ),
              );
          await done;
        }),
      );
    }
    const row = (label: string, runs: typeof groupchat): BenchRow => ({
      path: label,
      deliveries_per_round: deliveries,
      rounds,
      median_deliveries_per_s: median(runs.map((r) => r.perSecond)),
      median_wall_ms: median(runs.map((r) => r.wallMs)),
      median_cpu_us_per_delivery: median(runs.map((r) => r.cpuUsPerDelivery)),
    });
    const rows = [
      row(`groupchat: ${messages} room messages x ${profiles} profiles`, groupchat),
      row(`1:1 baseline: ${deliveries} chat messages`, direct),
    ];
    const ratio =
      median(groupchat.map((r) => r.perSecond)) / median(direct.map((r) => r.perSecond));
    publish({
      name: 'muc',
      rows,
      summary: {
        profiles,
        room_messages_per_round: messages,
        groupchat_over_direct_deliveries_per_s: Number(ratio.toFixed(3)),
        median_room_messages_per_s: Number(
          (median(groupchat.map((r) => r.perSecond)) / profiles).toFixed(1),
        ),
      },
    });
  } finally {
    await sender.disconnect().catch(() => undefined);
    await aviary.stop();
    await prosody.stop();
  }
}
