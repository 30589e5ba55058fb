import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { answerDiscoInfo, capsPresence, capsVer, clientFeatures } from './disco-caps.js';

describe('disco#info and entity capabilities', () => {
  it('computes the XEP-0115 §5.2 example verification string', () => {
    // XEP-0115 §5.2: client/pc//Exodus 0.9.1 with four features → QgayPKawpkPSDYmwT/WM94uAlu0=
    const ver = capsVer(
      [{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }],
      [
        'http://jabber.org/protocol/caps',
        'http://jabber.org/protocol/disco#info',
        'http://jabber.org/protocol/disco#items',
        'http://jabber.org/protocol/muc',
      ],
    );
    expect(ver).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('advertises +notify for synchronised namespaces in presence and disco#info', () => {
    const features = clientFeatures(['urn:xmpp:microblog:0']);
    expect(features).toContain('urn:xmpp:microblog:0+notify');
    const presence = capsPresence(features);
    expect(presence.getChild('c', 'http://jabber.org/protocol/caps')?.attrs.ver).toBe(
      capsVer([{ category: 'client', type: 'bot', name: 'Aviary' }], features),
    );
    const reply = answerDiscoInfo(
      xml(
        'iq',
        { type: 'get', id: 'q1', from: 'pep@example.org' },
        xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'n#v' }),
      ),
      features,
    );
    expect(reply?.attrs).toMatchObject({ type: 'result', id: 'q1', to: 'pep@example.org' });
    const vars = reply
      ?.getChild('query')
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    expect(vars).toContain('urn:xmpp:microblog:0+notify');
    expect(
      answerDiscoInfo(
        xml('iq', { type: 'get', id: 'x' }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
        features,
      ),
    ).toBeUndefined();
  });
});
