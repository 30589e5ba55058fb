/**
 * XML namespaces the message workflow reads and writes.
 */

/** Stanzas on client streams (RFC 6120 §4.8.3). */
export const NS_CLIENT = 'jabber:client';
/** Stanzas on component streams (XEP-0114). */
export const NS_COMPONENT = 'jabber:component:accept';
/** XEP-0359 unique and stable stanza ids. */
export const NS_SID = 'urn:xmpp:sid:0';
/** XEP-0203 delayed delivery. */
export const NS_DELAY = 'urn:xmpp:delay';
/** XEP-0066 out-of-band data. */
export const NS_OOB = 'jabber:x:oob';
/** XEP-0447 stateless file sharing. */
export const NS_SFS = 'urn:xmpp:sfs:0';
/** XEP-0446 file metadata element (used by XEP-0447). */
export const NS_FILE_METADATA = 'urn:xmpp:file:metadata:0';
/** XEP-0103 URL address information (XEP-0447 sources). */
export const NS_URL_DATA = 'http://jabber.org/protocol/url-data';
/** XEP-0372 references (carrier of XEP-0385). */
export const NS_REFERENCE = 'urn:xmpp:reference:0';
/** XEP-0385 stateless inline media sharing. */
export const NS_SIMS = 'urn:xmpp:sims:1';
/** XEP-0234 Jingle file transfer `<file/>` (used by XEP-0385). */
export const NS_JINGLE_FILE = 'urn:xmpp:jingle:apps:file-transfer:5';
/** XEP-0300 hashes. */
export const NS_HASHES = 'urn:xmpp:hashes:2';
