import { describe, expect, it } from 'vitest';
import { parseDataForm } from './data-form.js';

const ticket = `<x xmlns="jabber:x:data" type="submit">
  <field var="FORM_TYPE" type="hidden"><value>urn:xmpp:tickets:0</value></field>
  <field var="title" type="text-single" label="Title"><value>Login fails with SCRAM</value></field>
  <field var="body" type="text-multi"><value>Steps:</value><value>1. log in
2. fail</value></field>
  <field var="status" type="list-single"><value>queued</value></field>
  <field var="priority" type="list-single"><value>major</value></field>
  <field var="labels" type="list-multi"><value>auth</value><value> sasl </value></field>
  <field var="assigned_to" type="jid-multi"><value>dev@example.org</value></field>
  <field var="reporter" type="jid-single"><value>louise@example.org</value></field>
  <field var="confidential" type="boolean"><value>0</value></field>
  <field var="blocking" type="boolean"><value>true</value></field>
  <field type="fixed"><value>a fixed note, no var</value></field>
</x>`;

describe('parseDataForm (XEP-0004 / XEP-0346)', () => {
  it('reads a ticket: FORM_TYPE, typed values, labels and searchable text', () => {
    const form = parseDataForm(ticket);
    expect(form.kind).toBe('submit');
    expect(form.formType).toBe('urn:xmpp:tickets:0');
    expect(form.fields).toEqual({
      title: 'Login fails with SCRAM',
      body: ['Steps:', '1. log in', '2. fail'],
      status: 'queued',
      priority: 'major',
      labels: ['auth', 'sasl'],
      assigned_to: ['dev@example.org'],
      reporter: 'louise@example.org',
      confidential: false,
      blocking: true,
    });
    expect(form.fieldTypes['labels']).toBe('list-multi');
    expect(form.labels).toEqual({ title: 'Title' });
    expect(form.text).toContain('Login fails with SCRAM');
    expect(form.text).toContain('2. fail');
    expect(form.text).not.toContain('louise@example.org');
    expect(JSON.parse(JSON.stringify(form))).toEqual(form);
  });

  it('reads title, instructions and multi-item results', () => {
    const form = parseDataForm(`<x xmlns="jabber:x:data" type="result"><title>Tasks</title>
      <instructions>Pick one</instructions>
      <reported><field var="name" type="text-single"/><field var="done" type="boolean"/></reported>
      <item><field var="name"><value>write</value></field><field var="done"><value>1</value></field></item>
      <item><field var="name"><value>test</value></field><field var="done"><value>0</value></field></item>
    </x>`);
    expect(form.title).toBe('Tasks');
    expect(form.instructions).toEqual(['Pick one']);
    expect(form.items).toEqual([
      { name: 'write', done: true },
      { name: 'test', done: false },
    ]);
  });

  it('treats fields without a type as text-single and missing values as empty', () => {
    const form = parseDataForm(
      '<x xmlns="jabber:x:data"><field var="a"/><field var="b"><value>v</value></field></x>',
    );
    expect(form.kind).toBe('form');
    expect(form.fields).toEqual({ a: '', b: 'v' });
  });

  it.each([
    ['<x xmlns="jabber:x:data"><field var="a"></x>'],
    ['<entry xmlns="http://www.w3.org/2005/Atom"/>'],
    ['<x xmlns="jabber:x:data"><field var="a"/><field var="a"/></x>'],
  ])('throws on %s', (xml) => {
    expect(() => parseDataForm(xml)).toThrow();
  });
});
