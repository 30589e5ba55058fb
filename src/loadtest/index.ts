// The load-testing harness (issue 9): drives many real XMPP sessions against a loopback
// server and measures them. Re-exports only.
export {
  type AccountSource,
  type LoadAccount,
  parseAccountsCsv,
  resolveAccounts,
} from './accounts.js';
export {
  createLatencyHistogram,
  type LatencyHistogram,
  type LatencySummary,
} from './latency-histogram.js';
export type { LoadCounters, SessionState, TimelinePoint, TransactionKind } from './load-metrics.js';
export {
  assertTargetAllowed,
  type LoadTarget,
  type LoadTestOptions,
  validateLoadOptions,
} from './load-options.js';
export { buildLoadReport, type LoadReport, measuredRate, writeLoadReport } from './load-report.js';
export {
  type LoadPhase,
  type LoadProgress,
  type LoadRunnerDeps,
  type LoadTestHandle,
  runLoadTest,
  startLoadTest,
} from './load-runner.js';
export type { ProvisionSummary } from './provisioning.js';
export { type RegistrationOutcome, registerAccount, unregisterAccount } from './registration.js';
export {
  type ReceivedChat,
  type Scenario,
  type ScenarioParams,
  type ScenarioSession,
  scenarioFromModule,
} from './scenario.js';
export { NS_LOAD } from './scenario-session.js';
export { renderLoadChart } from './svg-chart.js';
export { assertLimits, readSystemLimits, type SystemLimits } from './system-limits.js';
