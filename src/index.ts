/**
 * Aviary's public API: the runtime, its typed events, plugins, the actor kernel and errors.
 * Everything else is internal.
 */

export * from './actors/index.js';
export {
  type ControlFacade,
  OPERATIONS,
  type OperationInput,
  type OperationName,
  type OperationOutput,
  runOperation,
} from './api/operations.js';
export type { AviaryConfig, AviaryConfigInput } from './config/config-schema.js';
export { ConfigError, loadConfig } from './config/load-config.js';
export type { EntityStatus } from './entities/entity-actor.js';
export type { EntityConnection, EntityState } from './entities/entity-connection.js';
export type {
  AddComponentRequest,
  AddProfileRequest,
  ConnectionFactories,
} from './entities/entity-manager.js';
export type { HistoryEntry } from './entities/history-record.js';
export {
  ERROR_CATALOGUE,
  type ErrorCode,
  type ErrorCodeEntry,
  httpStatusFor,
} from './error-catalogue.js';
export { AviaryError, isAviaryError } from './errors.js';
export type { Plugin, PluginContext, PluginHost, PluginMode } from './plugins/plugin.js';
export { PluginRegistry } from './plugins/plugin-registry.js';
export {
  Aviary,
  type AviaryOptions,
  createRuntime,
  type HistoryQuery,
} from './runtime/default-runtime.js';
export type { RuntimeEventName, RuntimeEvents } from './runtime/events.js';
export type { HealthEntry, RuntimeHealth } from './runtime/runtime.js';
export type { HookPoint, HookResult, HookSpec } from './workflow/hooks.js';
export type { MessageData } from './workflow/message-data.js';
export type { SendRequest, SendResult } from './workflow/send-pipeline.js';
