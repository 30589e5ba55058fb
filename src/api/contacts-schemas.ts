/**
 * Input schemas of the roster, presence and subscription operations (see `operations.ts`).
 * Field names are those of the library calls (`aviary.contacts`).
 */
import { z } from 'zod';

const profile = z.string().min(1).max(1024);
/** A contact's JID (RFC 7622: 3071 bytes at most); checked as a JID by the call itself. */
const contactJid = z.string().min(3).max(3071);

export const rosterListInput = z.object({ profile }).strict();

export const rosterAddInput = z
  .object({
    profile,
    jid: contactJid,
    name: z.string().min(1).max(1024).optional(),
    groups: z.array(z.string().min(1).max(1024)).max(100).optional(),
    /** Also ask to see the contact's presence (RFC 6121 §3.1.1). */
    subscribe: z.boolean().optional(),
  })
  .strict();

export const rosterRemoveInput = z.object({ profile, jid: contactJid }).strict();

export const subscriptionAnswerInput = z
  .object({ profile, jid: contactJid, accept: z.boolean() })
  .strict();

export const contactSettingsInput = z
  .object({
    profile,
    subscriptionPolicy: z.enum(['accept', 'reject', 'ask']).optional(),
    carbons: z.boolean().optional(),
  })
  .strict();
