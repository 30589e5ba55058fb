import type { Command } from 'commander';
import type { RoomInfo } from '../../muc/muc-room.js';
import { globalOptions } from '../context.js';
import { emit, renderTable, usageError } from '../output.js';
import { envSecret } from '../secret-input.js';
import { callOperation } from '../target.js';

const count = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw usageError(`--max-stanzas takes a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
};

const roomTable = (rows: readonly RoomInfo[]) =>
  renderTable(
    rows.map((r) => ({
      room: r.room,
      nick: r.nick,
      state: r.state,
      source: r.source,
      occupants: r.occupants.length,
      subject: Object.values(r.subject)[0]?.slice(0, 40),
      reason: r.reason,
    })),
    ['room', 'nick', 'state', 'source', 'occupants', 'subject', 'reason'],
  );

/** `aviary muc join|leave|list`: Multi-User Chat rooms of a profile (XEP-0045). */
export function registerMucCommands(program: Command): void {
  const muc = program.command('muc').description('Multi-User Chat rooms (XEP-0045)');

  muc
    .command('join <profile> <room>')
    .description('join a room (kept joined across reconnections and restarts); needs a runtime')
    .requiredOption('--nick <nick>', 'nickname in the room')
    .option('--password-env <var>', 'read the room password from this environment variable')
    .option('--max-stanzas <n>', 'history messages to ask for on the first join', count)
    .action(async (profile: string, room: string, o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      const password =
        o.passwordEnv === undefined
          ? undefined
          : envSecret(String(o.passwordEnv), 'the room password');
      const info = await callOperation(global, 'muc.join', {
        profile,
        room,
        nick: String(o.nick),
        ...(password !== undefined ? { password } : {}),
        ...(o.maxStanzas !== undefined ? { maxStanzas: o.maxStanzas as number } : {}),
      });
      emit(global.json, info, () => `joined ${info.room} as ${info.nick}`);
    });

  muc
    .command('leave <profile> <room>')
    .description('leave a room and stop rejoining it; needs a runtime')
    .action(async (profile: string, room: string, _o: unknown, command: Command) => {
      const global = globalOptions(command);
      await callOperation(global, 'muc.leave', { profile, room });
      emit(global.json, { left: room }, () => `left ${room}`);
    });

  muc
    .command('list <profile>')
    .description('rooms of a profile: state, occupants, subject; needs a runtime')
    .action(async (profile: string, _o: unknown, command: Command) => {
      const global = globalOptions(command);
      const rooms = await callOperation(global, 'muc.list', { profile });
      emit(global.json, rooms, () => roomTable(rooms));
    });
}
