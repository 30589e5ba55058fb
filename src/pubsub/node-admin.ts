/**
 * Owner use cases (XEP-0060 §8): create a node (§8.1, with configuration §8.1.3), get and submit
 * its configuration (§8.2), delete it (§8.4, optionally redirecting subscribers) and purge its
 * items (§8.5). https://xmpp.org/extensions/xep-0060.html#owner
 */
import { buildSubmitForm, type DataForm, type FormValue, parseDataForm } from './data-form.js';
import { NS } from './namespaces.js';
import { PubsubResponseError } from './pubsub-error.js';
import { pubsubIq, type XmlElement, xml } from './xml.js';

/** Node configuration values by field var, e.g. `{ 'pubsub#max_items': 100 }`. */
export type NodeConfigValues = Readonly<Record<string, FormValue | number>>;

/** A node's configuration form (XEP-0060 §8.2.1), parsed. */
export interface NodeConfiguration {
  readonly node: string;
  readonly form: DataForm;
  /** `form.values`: field values by var, e.g. `values['pubsub#max_items'] === '10'`. */
  readonly values: Readonly<Record<string, FormValue>>;
}

/**
 * Builds a node creation request; without `node` it asks for an instant node (§8.1.2).
 *
 * @example buildCreateNode('pubsub.example.org', 'news', { 'pubsub#max_items': 1000 })
 */
export function buildCreateNode(
  service: string,
  node?: string,
  config?: NodeConfigValues,
): XmlElement {
  return pubsubIq(
    'set',
    service,
    NS.pubsub,
    xml('create', { node }),
    config === undefined
      ? undefined
      : xml('configure', {}, buildSubmitForm(NS.pubsubNodeConfig, config)),
  );
}

/** The created node's name: the one the service reports (instant nodes), else the requested one. */
export function parseCreateNodeResult(iq: XmlElement, requested?: string): string {
  const reported = iq.getChild('pubsub', NS.pubsub)?.getChild('create', NS.pubsub)?.attrs.node;
  const node = reported ?? requested;
  if (node === undefined) {
    throw new PubsubResponseError('instant node created but the service did not name it');
  }
  return node;
}

/** Builds the owner request for a node's configuration form (XEP-0060 §8.2.1). */
export function buildGetNodeConfiguration(service: string, node: string): XmlElement {
  return pubsubIq('get', service, NS.pubsubOwner, xml('configure', { node }));
}

/** Parses the configuration form result (XEP-0060 §8.2.2). */
export function parseNodeConfigurationResult(iq: XmlElement, node: string): NodeConfiguration {
  const configure = iq.getChild('pubsub', NS.pubsubOwner)?.getChild('configure', NS.pubsubOwner);
  const x = configure?.getChild('x', NS.dataForms);
  if (x === undefined) {
    throw new PubsubResponseError('configuration result without <configure><x/>', {
      details: { node },
    });
  }
  const form = parseDataForm(x);
  return { node: configure?.attrs.node ?? node, form, values: form.values };
}

/** Builds the submission of new configuration values (XEP-0060 §8.2.4). */
export function buildConfigureNode(
  service: string,
  node: string,
  config: NodeConfigValues,
): XmlElement {
  return pubsubIq(
    'set',
    service,
    NS.pubsubOwner,
    xml('configure', { node }, buildSubmitForm(NS.pubsubNodeConfig, config)),
  );
}

/** Builds a node deletion (XEP-0060 §8.4), redirecting subscribers to `redirect` (a URI) if set. */
export function buildDeleteNode(
  service: string,
  node: string,
  options: { readonly redirect?: string | undefined } = {},
): XmlElement {
  return pubsubIq(
    'set',
    service,
    NS.pubsubOwner,
    xml(
      'delete',
      { node },
      options.redirect === undefined ? undefined : xml('redirect', { uri: options.redirect }),
    ),
  );
}

/** Builds a purge of all the node's items (XEP-0060 §8.5). */
export function buildPurgeNode(service: string, node: string): XmlElement {
  return pubsubIq('set', service, NS.pubsubOwner, xml('purge', { node }));
}
