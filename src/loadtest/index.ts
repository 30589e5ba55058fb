// The load-testing harness: drives many real XMPP sessions against a loopback server (or,
// with allowRemote, another one) and measures them. Re-exports only. A scenario module needs
// only the types below (`Scenario`, `ScenarioSession`, …).
export {
  type AccountSource,
  type LoadAccount,
  parseAccountsCsv,
  resolveAccounts,
} from './accounts.js';
export { type ArrivalPacer, createArrivalPacer } from './arrival-pacer.js';
export {
  type ArrivalPhase,
  formatPlan,
  loopPlan,
  type PlanPosition,
  parseDuration,
  parsePhase,
  parsePlan,
  planDurationMs,
  positionIn,
} from './arrival-plan.js';
export { compareReports, type ReportDifference } from './compare-reports.js';
export { renderHtmlReport } from './html-report.js';
export {
  createLatencyHistogram,
  type EncodedHistogram,
  type LatencyHistogram,
  type LatencySummary,
} from './latency-histogram.js';
export {
  type ControllerHandle,
  type ControllerOptions,
  startController,
} from './load-controller.js';
export type {
  BucketLatency,
  LoadCounters,
  LoadMetrics,
  MetricsDelta,
  SessionState,
  TimelinePoint,
  TransactionKind,
} from './load-metrics.js';
export {
  assertTargetAllowed,
  type LoadTarget,
  type LoadTestOptions,
  resolvePlan,
  scenarioMix,
  validateLoadOptions,
} from './load-options.js';
export {
  buildLoadReport,
  type GeneratorReport,
  type LoadReport,
  measuredRate,
  type PhaseReport,
  type Verdict,
  writeLoadReport,
} from './load-report.js';
export {
  type LoadPhase,
  type LoadProgress,
  type LoadRunnerDeps,
  type LoadTestHandle,
  runLoadTest,
  startLoadTest,
} from './load-runner.js';
export { parseControllerUrl, runWorker, type WorkerOptions } from './load-worker.js';
export { type MetricsEndpoint, startMetricsEndpoint } from './metrics-endpoint.js';
export { renderPrometheus } from './prometheus-text.js';
export type { ProvisionSummary } from './provisioning.js';
export { type RegistrationOutcome, registerAccount, unregisterAccount } from './registration.js';
export { optionsFromSpec, type RunSpec } from './run-spec.js';
export {
  type ReceivedChat,
  type Scenario,
  type ScenarioParams,
  type ScenarioSession,
  scenarioFor,
  scenarioFromModule,
  type WeightedScenario,
} from './scenario.js';
export { NS_LOAD } from './scenario-session.js';
export { renderLoadChart } from './svg-chart.js';
export { assertLimits, readSystemLimits, type SystemLimits } from './system-limits.js';
export {
  errorRate,
  evaluateThresholds,
  parseThreshold,
  type Threshold,
  type ThresholdResult,
} from './thresholds.js';
