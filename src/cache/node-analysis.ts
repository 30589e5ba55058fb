/**
 * Analysing an unknown node, as Libervia's `pubsub_cache.analyse_node` does: fetch its first
 * item (for the payload's root namespace) and, best effort, its configuration (for
 * `pubsub#max_items`), then ask the analysers. XEP-0060 §6.5.7 and §8.2.
 */
import type { KernelLogger } from '../actors/types.js';
import type { AnalyserRegistry } from '../analysers/index.js';
import { type PubsubClient, PubsubError } from '../pubsub/index.js';
import type { AnalysisOutcome, NodeTarget } from './cache-messages.js';

/** The namespace of a standalone XML payload's root element (`xmlns` on its start tag). */
export function rootNamespace(xml: string): string | null {
  const start = /^\s*<([^\s/>]+)([^>]*)>/.exec(xml);
  if (start === null) return null;
  const ns = /\sxmlns\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(start[2] ?? '');
  return ns === null ? null : (ns[1] ?? ns[2] ?? null);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Decides what a node is. Never throws: failures are the `failed` outcome, a missing node is
 * `absent`.
 *
 * @example
 * const outcome = await analyseNode({ pubsub, analysers, log }, { profile, service, node });
 * if (outcome.kind === 'matched' && outcome.toSync) startSync();
 */
export async function analyseNode(
  deps: {
    readonly pubsub: PubsubClient;
    readonly analysers: Pick<AnalyserRegistry, 'analyse'>;
    readonly log: KernelLogger;
  },
  target: NodeTarget,
): Promise<AnalysisOutcome> {
  const { service, node } = target;
  // The first item and the configuration are independent: ask for both at once.
  const [first, config] = await Promise.allSettled([
    deps.pubsub.getItems(service, node, { maxItems: 1, withElement: false }),
    deps.pubsub.getNodeConfiguration(service, node),
  ]);
  if (first.status === 'rejected') {
    const error: unknown = first.reason;
    if (error instanceof PubsubError && error.condition === 'item-not-found') {
      return { kind: 'absent' };
    }
    return { kind: 'failed', reason: `first item: ${describe(error)}` };
  }
  const item = first.value.items[0];
  const namespace = item === undefined ? null : rootNamespace(item.xml);
  let maxItems: number | null = null;
  if (config.status === 'fulfilled') {
    const raw = config.value.values['pubsub#max_items'];
    const parsed = typeof raw === 'string' ? Number.parseInt(raw, 10) : Number.NaN;
    if (Number.isInteger(parsed) && parsed > 0) maxItems = parsed;
  } else {
    // Subscribers usually may not read the configuration (forbidden): it is optional.
    deps.log.debug(
      { ...target, reason: describe(config.reason) },
      'pubsub cache: no node configuration',
    );
  }
  try {
    const analysis = await deps.analysers.analyse({
      nodeName: node,
      service,
      profile: target.profile,
      ...(namespace === null ? {} : { rootNamespace: namespace }),
    });
    if (analysis === undefined) return { kind: 'unmatched', rootNamespace: namespace };
    if (analysis.matchError !== undefined) {
      return { kind: 'failed', reason: `analyser ${analysis.name}: ${analysis.matchError}` };
    }
    return {
      kind: 'matched',
      analyser: analysis.name,
      nodeType: analysis.type,
      subtype: analysis.subtype ?? null,
      toSync: analysis.toSync,
      rootNamespace: namespace,
      maxItems,
    };
  } catch (error) {
    return { kind: 'failed', reason: `analysers: ${describe(error)}` };
  }
}
