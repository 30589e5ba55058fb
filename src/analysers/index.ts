export type {
  AnalyseRequest,
  Analyser,
  AnalyserDefinition,
  AnalyserMatch,
  Analysis,
  JsonPath,
  ParserRef,
} from './analyser.js';
export { normaliseAnalyserName } from './analyser.js';
export { type AnalyserRegistry, createAnalyserRegistry } from './analyser-registry.js';
export { validateAnalyser } from './analyser-validation.js';
export {
  builtinAnalysers,
  microblogAnalyser,
  NS_MICROBLOG,
  NS_MICROBLOG_COMMENTS_PREFIX,
  NS_TICKETS,
  ticketsAnalyser,
} from './builtin-analysers.js';
