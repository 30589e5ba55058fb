import { describe, expect, it } from 'vitest';
import { buildSubmitForm, parseDataForm } from './data-form.js';
import { NS } from './namespaces.js';
import { parseXml } from './xml.js';

// XEP-0060 §8.2.2 Example 125 (abridged): a node configuration form.
const CONFIG_FORM = `<x xmlns='jabber:x:data' type='form'>
  <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>
  <field var='pubsub#title' type='text-single' label='A friendly name for the node'><value>Princely Musings (Atom)</value></field>
  <field var='pubsub#deliver_notifications' type='boolean' label='Whether to deliver event notifications'><value>true</value></field>
  <field var='pubsub#persist_items' type='boolean'><value>0</value></field>
  <field var='pubsub#max_items' type='text-single' label='Max # of items to persist'><value>10</value></field>
  <field var='pubsub#access_model' type='list-single' label='Specify the subscriber model'>
    <option><value>authorize</value></option>
    <option><value>open</value></option>
    <value>open</value>
  </field>
  <field var='pubsub#roster_groups_allowed' type='list-multi'>
    <value>friends</value><value>servants</value>
  </field>
  <field var='pubsub#children' type='text-multi'/>
  <field type='fixed'><value>A fixed note</value></field>
</x>`;

describe('data forms (XEP-0004)', () => {
  it('parses a node configuration form into plain values', () => {
    const form = parseDataForm(parseXml(CONFIG_FORM));
    expect(form.type).toBe('form');
    expect(form.formType).toBe(NS.pubsubNodeConfig);
    expect(form.values).toEqual({
      'pubsub#title': 'Princely Musings (Atom)',
      'pubsub#deliver_notifications': true,
      'pubsub#persist_items': false,
      'pubsub#max_items': '10',
      'pubsub#access_model': 'open',
      'pubsub#roster_groups_allowed': ['friends', 'servants'],
      'pubsub#children': [],
    });
    const access = form.fields.find((f) => f.var === 'pubsub#access_model');
    expect(access?.options).toEqual(['authorize', 'open']);
    expect(form.fields.find((f) => f.var === 'pubsub#max_items')?.label).toBe(
      'Max # of items to persist',
    );
    expect(structuredClone(form)).toEqual(form);
  });

  it('builds a submit form with FORM_TYPE, booleans as 1/0 and multi values', () => {
    const x = buildSubmitForm(NS.pubsubPublishOptions, {
      'pubsub#access_model': 'presence',
      'pubsub#persist_items': true,
      'pubsub#max_items': 50,
      'pubsub#roster_groups_allowed': ['a', 'b'],
    });
    expect(x.toString()).toBe(
      '<x xmlns="jabber:x:data" type="submit">' +
        '<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/pubsub#publish-options</value></field>' +
        '<field var="pubsub#access_model"><value>presence</value></field>' +
        '<field var="pubsub#persist_items"><value>1</value></field>' +
        '<field var="pubsub#max_items"><value>50</value></field>' +
        '<field var="pubsub#roster_groups_allowed"><value>a</value><value>b</value></field>' +
        '</x>',
    );
    // Round trip: what we submit parses back to the same values (untyped fields stay text).
    expect(parseDataForm(x).values).toEqual({
      'pubsub#access_model': 'presence',
      'pubsub#persist_items': '1',
      'pubsub#max_items': '50',
      'pubsub#roster_groups_allowed': ['a', 'b'],
    });
  });
});
