/**
 * A tiny authoritative DNS responder over UDP on 127.0.0.1 for tests (RFC 1035 wire format):
 * answers SRV (RFC 2782) and A queries from a fixed table, NXDOMAIN for unknown names, an empty
 * answer for a known name without records of the asked type. Loopback only; tests point node:dns
 * at it with `Resolver.setServers`, so no real DNS server is ever asked.
 *
 * @example
 * const dns = await startDnsStub({ srv: { '_xmpp-client._tcp.example.org': [{ priority: 0, weight: 0, port: 5222, target: '127.0.0.1' }] } });
 * createDnsResolver([`127.0.0.1:${dns.port}`]);
 * await dns.stop();
 */
import { createSocket } from 'node:dgram';

export interface SrvAnswer {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

export interface DnsStubRecords {
  readonly srv?: Readonly<Record<string, readonly SrvAnswer[]>>;
  readonly a?: Readonly<Record<string, readonly string[]>>;
}

export interface DnsStub {
  readonly port: number;
  /** Every question asked so far, as `TYPE name` (e.g. `SRV _xmpp-client._tcp.example.org`). */
  readonly questions: readonly string[];
  stop(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_SRV = 33;

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([
    ...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])),
    Buffer.from([0]),
  ]);
}

/** Reads the question's name (no compression in queries); returns it and the offset after it. */
function readName(message: Buffer, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let offset = start;
  for (;;) {
    const length = message[offset] ?? 0;
    offset++;
    if (length === 0) break;
    labels.push(message.subarray(offset, offset + length).toString('ascii'));
    offset += length;
  }
  return { name: labels.join('.').toLowerCase(), end: offset };
}

function record(type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(60, 6);
  head.writeUInt16BE(data.length, 10);
  return Buffer.concat([head, data]);
}

export async function startDnsStub(records: DnsStubRecords): Promise<DnsStub> {
  const lower = <T>(table: Readonly<Record<string, T>> | undefined) =>
    new Map(Object.entries(table ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const srv = lower(records.srv);
  const a = lower(records.a);
  const questions: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    if (query.length < 12) return;
    const { name, end } = readName(query, 12);
    const type = query.readUInt16BE(end);
    questions.push(`${type === TYPE_SRV ? 'SRV' : type === TYPE_A ? 'A' : type} ${name}`);
    const answers: Buffer[] = [];
    if (type === TYPE_SRV)
      for (const r of srv.get(name) ?? []) {
        const fixed = Buffer.alloc(6);
        fixed.writeUInt16BE(r.priority, 0);
        fixed.writeUInt16BE(r.weight, 2);
        fixed.writeUInt16BE(r.port, 4);
        answers.push(record(TYPE_SRV, Buffer.concat([fixed, encodeName(r.target)])));
      }
    if (type === TYPE_A)
      for (const address of a.get(name) ?? [])
        answers.push(record(TYPE_A, Buffer.from(address.split('.').map(Number))));
    const known = srv.has(name) || a.has(name);
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    const recursionDesired = (query[2] ?? 0) & 0x01;
    header.writeUInt16BE(0x8400 | (recursionDesired << 8) | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const question = query.subarray(12, end + 4);
    socket.send(Buffer.concat([header, question, ...answers]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    questions,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
