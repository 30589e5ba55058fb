/**
 * XEP-0004 data forms, as pubsub uses them: node configuration (XEP-0060 §8.2), publish options
 * (§7.1.5), subscription options (§6.3) and extended disco info (XEP-0128).
 * https://xmpp.org/extensions/xep-0004.html
 */
import { NS } from './namespaces.js';
import { type XmlElement, xml } from './xml.js';

/** A field value: booleans for `boolean` fields, lists for `*-multi` fields, text otherwise. */
export type FormValue = string | boolean | readonly string[];

/** One field of a parsed form (XEP-0004 §3.2). */
export interface FormField {
  readonly var: string;
  readonly type?: string | undefined;
  readonly label?: string | undefined;
  readonly value: FormValue;
  /** The `<option>` values a list field offers. */
  readonly options?: readonly string[] | undefined;
}

/** A parsed `<x xmlns="jabber:x:data">` element, as plain data. */
export interface DataForm {
  readonly type: string;
  /** The hidden `FORM_TYPE` field (XEP-0068), when present. */
  readonly formType?: string | undefined;
  readonly title?: string | undefined;
  readonly fields: readonly FormField[];
  /** Field values by `var` (without `FORM_TYPE`), e.g. `values['pubsub#max_items'] === '100'`. */
  readonly values: Readonly<Record<string, FormValue>>;
}

const MULTI_TYPES = new Set(['list-multi', 'jid-multi', 'text-multi']);

function booleanValue(text: string | undefined): boolean {
  return text === '1' || text === 'true';
}

/**
 * Parses a XEP-0004 form into plain data.
 *
 * @example parseDataForm(configure.getChild('x', NS.dataForms)!).values['pubsub#max_items']
 */
export function parseDataForm(x: XmlElement): DataForm {
  const fields: FormField[] = [];
  const values: Record<string, FormValue> = {};
  let formType: string | undefined;
  for (const field of x.getChildren('field', NS.dataForms)) {
    const name = field.attrs.var;
    if (name === undefined) continue; // fixed fields carry no value
    const type = field.attrs.type;
    const texts = field.getChildren('value', NS.dataForms).map((v) => v.getText());
    let value: FormValue;
    if (type === 'boolean') value = booleanValue(texts[0]);
    else if (type !== undefined && MULTI_TYPES.has(type)) value = texts;
    else value = texts.length > 1 ? texts : (texts[0] ?? '');
    const options = field
      .getChildren('option', NS.dataForms)
      .map((o) => o.getChild('value', NS.dataForms)?.getText() ?? '');
    fields.push({
      var: name,
      type,
      label: field.attrs.label,
      value,
      options: options.length > 0 ? options : undefined,
    });
    if (name === 'FORM_TYPE') formType = typeof value === 'string' ? value : String(value);
    else values[name] = value;
  }
  return {
    type: x.attrs.type ?? 'form',
    formType,
    title: x.getChild('title', NS.dataForms)?.getText(),
    fields,
    values,
  };
}

function valueTexts(value: FormValue | number): string[] {
  if (typeof value === 'boolean') return [value ? '1' : '0'];
  if (typeof value === 'number') return [String(value)];
  if (typeof value === 'string') return [value];
  return [...value];
}

/**
 * Builds a `type="submit"` form with a hidden `FORM_TYPE` (XEP-0004 §3.1, XEP-0068).
 *
 * @example buildSubmitForm(NS.pubsubPublishOptions, { 'pubsub#access_model': 'open' })
 */
export function buildSubmitForm(
  formType: string,
  values: Readonly<Record<string, FormValue | number>>,
): XmlElement {
  return xml(
    'x',
    { xmlns: NS.dataForms, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    Object.entries(values).map(([name, value]) =>
      xml('field', { var: name }, ...valueTexts(value).map((text) => xml('value', {}, text))),
    ),
  );
}

/** The first data form child of `parent` (any form type), parsed; `undefined` if none. */
export function findDataForm(parent: XmlElement | undefined): DataForm | undefined {
  const x = parent?.getChild('x', NS.dataForms);
  return x === undefined ? undefined : parseDataForm(x);
}
