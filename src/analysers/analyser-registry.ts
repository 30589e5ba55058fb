/**
 * The runtime's analysers, in registration order (Libervia's `pubsub_cache` analysers). One
 * registry per runtime; nothing is global.
 *
 * @example
 * const analysers = createAnalyserRegistry();
 * const unregister = analysers.registerAnalyser(blogDefinition);
 * const analysis = await analysers.analyse({ nodeName: 'urn:xmpp:microblog:0' });
 * analysis?.toSync; // true
 * unregister();
 */
import { AviaryError } from '../errors.js';
import {
  type AnalyseRequest,
  type Analyser,
  type AnalyserDefinition,
  type Analysis,
  baseAnalysis,
  normaliseAnalyserName,
} from './analyser.js';
import { validateAnalyser } from './analyser-validation.js';

export interface AnalyserRegistry {
  /**
   * Adds an analyser after the existing ones. Throws `analyser.invalid` (with the field at
   * fault) or `analyser.duplicate`. Returns the function that removes it again.
   */
  registerAnalyser(definition: AnalyserDefinition): () => void;
  /**
   * The first analyser (in registration order) whose `node` is a prefix of the node name, or
   * whose `namespace` equals the items' root namespace, as adjusted by its match callback.
   * A callback returning `false` passes to the next analyser; a callback that throws (or
   * returns a malformed analysis) yields the analysis with `toSync: false` and `matchError`
   * (the node is then not synchronised).
   * Undefined when nothing matches.
   */
  analyse(request: AnalyseRequest): Promise<Analysis | undefined>;
  /** The analyser stored under `name` (normalised), e.g. the one a cached node recorded. */
  get(name: string): Analyser | undefined;
  /** All analysers, in registration order. */
  list(): readonly Analyser[];
}

/** Creates an empty registry; see {@link AnalyserRegistry}. */
export function createAnalyserRegistry(): AnalyserRegistry {
  const analysers = new Map<string, Analyser>();

  return {
    registerAnalyser(definition) {
      const analyser = validateAnalyser(definition);
      if (analysers.has(analyser.name)) {
        throw new AviaryError(
          'analyser.duplicate',
          `an analyser named "${analyser.name}" is already registered`,
          { details: { name: analyser.name } },
        );
      }
      analysers.set(analyser.name, analyser);
      return () => {
        // Only remove this registration, not a later one that reused the name.
        if (analysers.get(analyser.name) === analyser) analysers.delete(analyser.name);
      };
    },

    async analyse(request) {
      for (const analyser of [...analysers.values()]) {
        if (!matches(analyser, request)) continue;
        const base = baseAnalysis(analyser);
        if (analyser.match === undefined) return base;
        let adjusted: Analysis | false | undefined;
        try {
          adjusted = await analyser.match(request, base);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          return { ...base, toSync: false, matchError: message };
        }
        if (adjusted === false) continue;
        if (adjusted === undefined) return base;
        const problem = checkAdjusted(adjusted);
        if (problem !== undefined) return { ...base, toSync: false, matchError: problem };
        return { ...adjusted, name: base.name };
      }
      return undefined;
    },

    get(name) {
      return analysers.get(normaliseAnalyserName(name));
    },

    list() {
      return [...analysers.values()];
    },
  };
}

function matches(analyser: Analyser, request: AnalyseRequest): boolean {
  if (analyser.node !== undefined && request.nodeName.startsWith(analyser.node)) return true;
  return (
    analyser.namespace !== undefined &&
    request.rootNamespace !== undefined &&
    request.rootNamespace === analyser.namespace
  );
}

/** What is wrong with an analysis a match callback returned, if anything. */
function checkAdjusted(analysis: Analysis): string | undefined {
  if (typeof analysis !== 'object' || analysis === null) return 'match returned a non-object';
  if (typeof analysis.type !== 'string' || analysis.type.trim() === '') {
    return 'match returned an analysis without a type';
  }
  if (typeof analysis.toSync !== 'boolean') return 'match returned a non-boolean toSync';
  if (analysis.subtype !== undefined && typeof analysis.subtype !== 'string') {
    return 'match returned a non-string subtype';
  }
  return undefined;
}
