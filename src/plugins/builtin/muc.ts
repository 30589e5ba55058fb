/**
 * Multi-User Chat (XEP-0045) as a built-in client plugin, on by default for profiles and never
 * on components. On the per-entity hooks:
 * - stanza middleware: presence from our rooms (joins acknowledged, occupants, kicks);
 * - `message_parse` hook: a room's groupchat messages get the room's stanza-id (XEP-0359) and
 *   the occupant's nickname (`extra.nick`, the occupant JID's resource); what a rejoin repeats
 *   and unchanged subjects are dropped before history;
 * - on-online: the kept rooms are joined again and the autojoin bookmarks (XEP-0402) joined;
 * - a self-ping round (XEP-0410) on the injected clock notices a silent exit and rejoins.
 *
 * The control side ({@link MucService}: join, leave, list per profile) reaches each profile's
 * {@link MucSession} through the service the plugin registers it with.
 */
import { AviaryError } from '../../errors.js';
import type { RoomInfo } from '../../muc/muc-room.js';
import { MucSession } from '../../muc/muc-session.js';
import type { HistoryRequest } from '../../muc/muc-stanzas.js';
import type { MucStore } from '../../muc/muc-store.js';
import type { Clock } from '../../util/clock.js';
import type { Plugin } from '../plugin.js';

export const MUC_PLUGIN = 'xep-0045';

/** A join through the control API (the password arrives in clear only over this call). */
export interface MucJoinRequest {
  readonly room: string;
  readonly nick: string;
  readonly password?: string | undefined;
  readonly maxStanzas?: number | undefined;
  /** Ask only for history sent at or after this time (ms since the epoch). */
  readonly since?: number | undefined;
}

/**
 * The rooms of every profile, for the library, the control API and the CLI.
 *
 * @example
 * const muc = new MucService({ store, clock: systemClock });
 * plugins.register(muc.plugin());
 * await muc.join('alice', { room: 'lounge@conference.example.org', nick: 'alice' });
 */
export class MucService {
  readonly #sessions = new Map<string, MucSession>();
  readonly #store: MucStore;
  readonly #clock: Clock;

  constructor(deps: { readonly store: MucStore; readonly clock: Clock }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
  }

  async join(profile: string, request: MucJoinRequest): Promise<RoomInfo> {
    const history: HistoryRequest = {
      ...(request.maxStanzas !== undefined ? { maxStanzas: request.maxStanzas } : {}),
      ...(request.since !== undefined ? { since: request.since } : {}),
    };
    return this.#session(profile).join({
      room: request.room,
      nick: request.nick,
      password: request.password,
      history: Object.keys(history).length > 0 ? history : undefined,
    });
  }

  leave(profile: string, room: string): Promise<void> {
    return this.#session(profile).leave(room);
  }

  async list(profile: string): Promise<RoomInfo[]> {
    return this.#session(profile).list();
  }

  /** Runs one self-ping round for a profile now (tests, and a manual check). */
  selfPing(profile: string): Promise<void> {
    return this.#session(profile).selfPingRound();
  }

  #session(profile: string): MucSession {
    const session = this.#sessions.get(profile);
    if (session === undefined)
      throw new AviaryError('profile.not-found', `no profile named ${profile} takes part in MUC`);
    return session;
  }

  plugin(): Plugin {
    return {
      name: MUC_PLUGIN,
      modes: ['client'],
      description: 'Multi-User Chat: rooms, bookmarks autojoin, self-ping, groupchat history',
      setup: async ({ host, hooks, log }) => {
        const session = new MucSession({
          profile: host.name,
          jid: () => host.jid(),
          online: () => host.online(),
          send: (element) => host.send(element),
          iq: (element, timeoutMs) => host.iq(element, timeoutMs),
          store: this.#store,
          clock: this.#clock,
          log,
        });
        await session.start();
        this.#sessions.set(host.name, session);
        const offs = [
          host.useStanza(async (stanza, next) => {
            if (stanza.name === 'presence') session.presence(stanza);
            await next();
          }),
          hooks.register('message_parse', {
            plugin: MUC_PLUGIN,
            handler: (message, ctx) => {
              if (message.type !== 'groupchat') return { action: 'continue' };
              const outcome = session.groupchat(message, ctx.stanza);
              return 'drop' in outcome
                ? { action: 'cancel', reason: outcome.drop }
                : { action: 'continue', message: outcome.message };
            },
          }),
          host.onOnline((link) => {
            // Joins complete in the background: the entity reports `online` meanwhile.
            void session
              .connected(link)
              .catch((error: unknown) => log.warn({ err: error }, 'rooms not rejoined'));
          }),
        ];
        return () => {
          for (const off of offs) off();
          session.stop();
          if (this.#sessions.get(host.name) === session) this.#sessions.delete(host.name);
        };
      },
    };
  }
}
