import { describe, expect, it } from 'vitest';
import { isAviaryError, serializeError } from '../errors.js';
import { PubsubError, parseStanzaError, toPubsubError } from './pubsub-error.js';
import { parseXml } from './xml.js';

// XEP-0060 §6.5.9.5 Example 87-style: the service does not support item retrieval with RSM.
const UNSUPPORTED_RSM = `<iq type='error' from='pubsub.shakespeare.lit' id='items1'>
  <error type='cancel'>
    <feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
    <unsupported xmlns='http://jabber.org/protocol/pubsub#errors' feature='rsm'/>
  </error>
</iq>`;

describe('pubsub errors (RFC 6120 §8.3, XEP-0060 pubsub#errors)', () => {
  it('reads the stanza condition, pubsub condition, unsupported feature and type', () => {
    expect(parseStanzaError(parseXml(UNSUPPORTED_RSM))).toEqual({
      condition: 'feature-not-implemented',
      type: 'cancel',
      text: undefined,
      pubsubCondition: 'unsupported',
      unsupportedFeature: 'rsm',
    });
  });

  it('reads the text whatever the child order (XEP-0060 §6.5.9.11 item-not-found)', () => {
    const details = parseStanzaError(
      parseXml(`<error type='cancel'>
        <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Node does not exist</text>
        <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
      </error>`),
    );
    expect(details).toMatchObject({
      condition: 'item-not-found',
      text: 'Node does not exist',
      type: 'cancel',
    });
  });

  it('gives undefined-condition for an error without a defined condition', () => {
    expect(parseStanzaError(parseXml(`<iq type='error'/>`)).condition).toBe('undefined-condition');
    expect(
      parseStanzaError(parseXml(`<error type='wait'><x xmlns='urn:other'/></error>`)),
    ).toMatchObject({
      condition: 'undefined-condition',
      type: 'wait',
    });
  });

  it('is an AviaryError with code pubsub.error and structured-clone-able details', () => {
    const error = toPubsubError(parseXml(UNSUPPORTED_RSM), { service: 'pubsub.x', node: 'n' });
    expect(error).toBeInstanceOf(PubsubError);
    expect(isAviaryError(error, 'pubsub.error')).toBe(true);
    const e = error as PubsubError;
    expect(e.condition).toBe('feature-not-implemented');
    expect(e.unsupportedFeature).toBe('rsm');
    expect(e.message).toContain('feature-not-implemented');
    expect(e.message).toContain('feature=rsm');
    expect(structuredClone(e.details)).toEqual({
      condition: 'feature-not-implemented',
      type: 'cancel',
      text: undefined,
      pubsubCondition: 'unsupported',
      unsupportedFeature: 'rsm',
      service: 'pubsub.x',
      node: 'n',
    });
    expect(serializeError(e).code).toBe('pubsub.error');
  });

  it('converts an xmpp.js StanzaError (element = <error/>) and keeps it as cause', () => {
    const stanzaError = Object.assign(new Error('item-not-found'), {
      condition: 'item-not-found',
      element: parseXml(
        `<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`,
      ),
    });
    const converted = toPubsubError(stanzaError) as PubsubError;
    expect(converted.condition).toBe('item-not-found');
    expect(converted.errorType).toBe('cancel');
    expect(converted.cause).toBe(stanzaError);
  });

  it('converts an object with a string condition, and passes other failures through', () => {
    expect(toPubsubError({ condition: 'forbidden', text: 'no', type: 'auth' })).toMatchObject({
      condition: 'forbidden',
      text: 'no',
      errorType: 'auth',
    });
    const timeout = new Error('timeout');
    expect(toPubsubError(timeout)).toBe(timeout);
    expect(toPubsubError('boom')).toBe('boom');
  });
});
