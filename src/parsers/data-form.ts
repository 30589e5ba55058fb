/**
 * XEP-0004 data forms (https://xmpp.org/extensions/xep-0004.html) as pubsub item payloads,
 * the way XEP-0346 Form Discovery and Publishing stores list entries (tickets, merge requests,
 * shopping lists...): each item is an `<x xmlns="jabber:x:data">` form whose hidden
 * `FORM_TYPE` field names the template.
 *
 * Input: the XML text of the pubsub item's payload (the `<x/>` element).
 * Output: plain JSON data; malformed XML or another root element throws.
 *
 * Values by field type: `boolean` → true/false; `list-multi`, `jid-multi` and `text-multi`
 * (one entry per line) → string arrays; every other type → one string (the first `<value/>`).
 *
 * @example
 * parseDataForm('<x xmlns="jabber:x:data" type="submit"><field var="title"><value>Bug</value></field></x>')
 * // { kind: 'submit', fields: { title: 'Bug' }, fieldTypes: {}, labels: {}, text: 'Bug' }
 */
import { type ItemElement, parseXmlItem, XmlItemError } from './xml-item.js';
import { childElements, childText, textContent } from './xml-query.js';

export const DATA_FORMS_NS = 'jabber:x:data';

export type DataFormValue = string | boolean | readonly string[];

export interface DataForm {
  /** The form's `type` attribute: form, submit, cancel or result. */
  readonly kind: string;
  /** The hidden `FORM_TYPE` field (XEP-0068), when present. */
  readonly formType?: string;
  readonly title?: string;
  readonly instructions?: readonly string[];
  /** Field values by `var`, FORM_TYPE excluded. */
  readonly fields: Readonly<Record<string, DataFormValue>>;
  /** Declared field types by `var` (absent when the form did not say). */
  readonly fieldTypes: Readonly<Record<string, string>>;
  /** Field labels by `var`, when given. */
  readonly labels: Readonly<Record<string, string>>;
  /** Rows of a multi-item result (`<reported/>` + `<item/>`), when present. */
  readonly items?: readonly Readonly<Record<string, DataFormValue>>[];
  /** Title and textual values joined, for the full-text index. */
  readonly text: string;
}

const MULTI = new Set(['list-multi', 'jid-multi', 'text-multi']);
const SEARCHABLE = new Set(['text-single', 'text-multi', 'list-single', 'list-multi', '']);

/** Parses one `<x xmlns="jabber:x:data"/>` payload. Throws {@link XmlItemError} when invalid. */
export function parseDataForm(xml: string): DataForm {
  const form = parseXmlItem(xml);
  if (form.name !== 'x' || form.ns !== DATA_FORMS_NS) {
    throw new XmlItemError(
      `expected a data form <x xmlns="${DATA_FORMS_NS}">, got <${form.name}> in "${form.ns}"`,
    );
  }
  const fields: Record<string, DataFormValue> = {};
  const fieldTypes: Record<string, string> = {};
  const labels: Record<string, string> = {};
  const textParts: string[] = [];
  let formType: string | undefined;

  const title = childText(form, 'title', DATA_FORMS_NS);
  if (title !== undefined) textParts.push(title);
  for (const field of childElements(form, 'field', DATA_FORMS_NS)) {
    const name = field.attrs['var'];
    if (!name) continue; // `fixed` fields carry no data
    const type = field.attrs['type'] ?? '';
    const value = readValue(field, type);
    if (name === 'FORM_TYPE') {
      formType = typeof value === 'string' ? value : undefined;
      continue;
    }
    if (Object.hasOwn(fields, name)) throw new XmlItemError(`field "${name}" appears twice`);
    fields[name] = value;
    if (type !== '') fieldTypes[name] = type;
    const label = field.attrs['label'];
    if (label !== undefined) labels[name] = label;
    if (SEARCHABLE.has(type) && typeof value !== 'boolean') {
      const joined = typeof value === 'string' ? value : value.join(' ');
      if (joined !== '') textParts.push(joined);
    }
  }

  const result: {
    -readonly [K in keyof DataForm]: DataForm[K];
  } = { kind: form.attrs['type'] ?? 'form', fields, fieldTypes, labels, text: '' };
  if (formType !== undefined) result.formType = formType;
  if (title !== undefined) result.title = title;
  const instructions = childElements(form, 'instructions', DATA_FORMS_NS)
    .map((i) => textContent(i).trim())
    .filter((i) => i !== '');
  if (instructions.length > 0) result.instructions = instructions;
  const items = readItems(form);
  if (items !== undefined) result.items = items;
  result.text = textParts.join('\n');
  return result;
}

function readValue(field: ItemElement, type: string): DataFormValue {
  const values = childElements(field, 'value', DATA_FORMS_NS).map(textContent);
  if (type === 'boolean') {
    const raw = (values[0] ?? '').trim();
    return raw === '1' || raw === 'true';
  }
  if (type === 'text-multi') return values.flatMap((v) => v.split(/\r?\n/));
  if (MULTI.has(type)) return values.map((v) => v.trim());
  return values[0] ?? '';
}

function readItems(form: ItemElement): Record<string, DataFormValue>[] | undefined {
  const reported = childElements(form, 'reported', DATA_FORMS_NS)[0];
  if (reported === undefined) return undefined;
  const types = new Map(
    childElements(reported, 'field', DATA_FORMS_NS).map((f) => [
      f.attrs['var'] ?? '',
      f.attrs['type'] ?? '',
    ]),
  );
  return childElements(form, 'item', DATA_FORMS_NS).map((item) => {
    const row: Record<string, DataFormValue> = {};
    for (const field of childElements(item, 'field', DATA_FORMS_NS)) {
      const name = field.attrs['var'];
      if (!name) continue;
      row[name] = readValue(field, field.attrs['type'] ?? types.get(name) ?? '');
    }
    return row;
  });
}
