import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { emit, renderTable, usageError } from '../output.js';
import { callOperation } from '../target.js';

/** `online`, `away (busy)`… for the best resource of a contact; `offline` without one. */
function presenceText(
  presence: readonly { readonly show: string; readonly status?: string }[],
): string {
  const best = presence[0];
  if (best === undefined) return 'offline';
  return best.status === undefined ? best.show : `${best.show} (${best.status})`;
}

const onOff = (value: string) => {
  if (value !== 'on' && value !== 'off')
    throw usageError(`--carbons takes on or off, not ${value}`);
  return value === 'on';
};

/**
 * `aviary roster list|add|remove|settings`, `aviary presence`, `aviary subscription list|answer`.
 */
export function registerRosterCommands(program: Command): void {
  const roster = program
    .command('roster')
    .description("a profile's contacts (RFC 6121 roster, cached with its version)");
  roster
    .command('list <profile>')
    .description("the profile's roster with each contact's presence")
    .action(async (profile: string, _o: unknown, command: Command) => {
      const global = globalOptions(command);
      const items = await callOperation(global, 'roster.list', { profile });
      emit(global.json, items, () =>
        renderTable(
          items.map((item) => ({
            jid: item.jid,
            name: item.name,
            subscription: item.ask === undefined ? item.subscription : `${item.subscription}+ask`,
            groups: item.groups.join(','),
            presence: presenceText(item.presence),
          })),
          ['jid', 'name', 'subscription', 'groups', 'presence'],
        ),
      );
    });
  roster
    .command('add <profile> <jid>')
    .description('add or update a contact')
    .option('--name <name>', "the contact's name in the roster")
    .option('--group <group...>', 'roster groups')
    .option('--subscribe', "also ask to see the contact's presence")
    .action(async (profile: string, jid: string, o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      const item = await callOperation(global, 'roster.add', {
        profile,
        jid,
        ...(o.name !== undefined ? { name: o.name as string } : {}),
        ...(o.group !== undefined ? { groups: o.group as string[] } : {}),
        ...(o.subscribe === true ? { subscribe: true } : {}),
      });
      emit(global.json, item ?? null, () =>
        item === undefined
          ? `asked to add ${jid}; the server has not confirmed it yet`
          : `${item.jid}: ${item.subscription}${item.ask === undefined ? '' : ' (subscription asked)'}`,
      );
    });
  roster
    .command('remove <profile> <jid>')
    .description('remove a contact and the presence subscriptions both ways')
    .action(async (profile: string, jid: string, _o: unknown, command: Command) => {
      const global = globalOptions(command);
      const result = await callOperation(global, 'roster.remove', { profile, jid });
      emit(global.json, result, () =>
        result.removed ? `removed ${jid}` : `${jid} was not in the roster`,
      );
    });
  roster
    .command('settings <profile>')
    .description('show or change the subscription policy and message carbons of a profile')
    .option('--policy <policy>', 'subscription requests: accept, reject or ask')
    .option('--carbons <on|off>', 'message carbons (XEP-0280) from the next login', onOff)
    .action(async (profile: string, o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      const policy = o.policy as string | undefined;
      if (policy !== undefined && !['accept', 'reject', 'ask'].includes(policy))
        throw usageError(`--policy takes accept, reject or ask, not ${policy}`);
      const settings = await callOperation(global, 'contacts.settings', {
        profile,
        ...(policy !== undefined
          ? { subscriptionPolicy: policy as 'accept' | 'reject' | 'ask' }
          : {}),
        ...(o.carbons !== undefined ? { carbons: o.carbons as boolean } : {}),
      });
      emit(
        global.json,
        settings,
        () =>
          `subscription policy: ${settings.subscriptionPolicy}\ncarbons: ${settings.carbons ? 'on' : 'off'}`,
      );
    });

  program
    .command('presence <profile>')
    .description("the contacts' presence seen by a connected profile")
    .action(async (profile: string, _o: unknown, command: Command) => {
      const global = globalOptions(command);
      const contacts = await callOperation(global, 'presence.list', { profile });
      emit(global.json, contacts, () =>
        renderTable(
          contacts.flatMap((contact) =>
            contact.resources.map((r) => ({
              jid: `${contact.jid}/${r.resource}`,
              show: r.show,
              priority: r.priority,
              status: r.status,
            })),
          ),
          ['jid', 'show', 'priority', 'status'],
        ),
      );
    });

  const subscription = program
    .command('subscription')
    .description('presence subscription requests waiting for an answer (policy ask)');
  subscription
    .command('list <profile>')
    .description('pending requests')
    .action(async (profile: string, _o: unknown, command: Command) => {
      const global = globalOptions(command);
      const requests = await callOperation(global, 'subscription.list', { profile });
      emit(global.json, requests, () =>
        renderTable(
          requests.map((r) => ({
            jid: r.jid,
            since: new Date(r.at).toISOString(),
            status: r.status,
          })),
          ['jid', 'since', 'status'],
        ),
      );
    });
  subscription
    .command('answer <profile> <jid> <answer>')
    .description('answer a pending request: accept or reject')
    .action(async (profile: string, jid: string, answer: string, _o: unknown, command: Command) => {
      if (answer !== 'accept' && answer !== 'reject')
        throw usageError(`the answer is accept or reject, not ${answer}`);
      const global = globalOptions(command);
      const result = await callOperation(global, 'subscription.answer', {
        profile,
        jid,
        accept: answer === 'accept',
      });
      emit(global.json, result, () => `${result.jid}: ${result.decision}`);
    });
}
