/**
 * The control API described as an OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0),
 * built from the routes the server actually serves: an operation route carries its zod input
 * schema, turned into JSON Schema 2020-12 by `z.toJSONSchema`; other routes (metrics, status
 * page, event stream) appear with their method and path only. Being derived from the served
 * routes, the document cannot list a path the server lacks, nor miss one it has.
 *
 * @example
 * openApiDocument({ version: '0.1.0', routes: [{ method: 'GET', path: '/profiles/:name' }] });
 * // paths: { '/profiles/{name}': { get: { parameters: [{ name: 'name', in: 'path', ... }] } } }
 */
import { z } from 'zod';
import { pathFields } from './operation-codec.js';

/** What the document needs to know of one served route. */
export interface DescribedRoute {
  readonly method: string;
  /** Path with `:field` segments. */
  readonly path: string;
  readonly summary?: string;
  /** Input schema of an operation route (path fields, then query or JSON body). */
  readonly input?: z.ZodType;
  /** False for the few endpoints served without the bearer token. */
  readonly auth?: boolean;
  /** Media type of a success answer when it is not JSON. */
  readonly produces?: string;
}

type JsonObject = Record<string, unknown>;

/** `/profiles/:name` → `/profiles/{name}` (OpenAPI path templating, §4.8.2). */
export function openApiPath(path: string): string {
  return path
    .split('/')
    .map((part) => (part.startsWith(':') ? `{${part.slice(1)}}` : part))
    .join('/');
}

function inputSchema(input: z.ZodType): JsonObject {
  const schema = z.toJSONSchema(input, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonObject;
  delete schema.$schema;
  return schema;
}

function describeOperation(route: DescribedRoute): JsonObject {
  const operation: JsonObject = {};
  if (route.summary !== undefined) operation.summary = route.summary;
  if (route.auth === false) operation.security = [];
  const inPath = pathFields(route.path);
  const schema = route.input === undefined ? undefined : inputSchema(route.input);
  const properties = (schema?.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((schema?.required ?? []) as string[]);
  const parameters: JsonObject[] = inPath.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: properties[name] ?? { type: 'string' },
  }));
  const rest = Object.keys(properties).filter((name) => !inPath.includes(name));
  if (route.method === 'POST' && schema !== undefined) {
    const body: JsonObject = { ...schema, properties: {} };
    for (const name of rest) (body.properties as JsonObject)[name] = properties[name];
    const bodyRequired = [...required].filter((name) => rest.includes(name));
    if (bodyRequired.length > 0) body.required = bodyRequired;
    else delete body.required;
    operation.requestBody = {
      required: bodyRequired.length > 0,
      content: { 'application/json': { schema: body } },
    };
  } else {
    for (const name of rest) {
      const property = properties[name] ?? {};
      parameters.push({
        name,
        in: 'query',
        required: required.has(name),
        schema: property,
        // A list travels as repeated keys: `?types=chat&types=groupchat`.
        ...(property.type === 'array' ? { style: 'form', explode: true } : {}),
      });
    }
  }
  if (parameters.length > 0) operation.parameters = parameters;
  operation.responses = {
    '2XX': {
      description: 'success',
      content: { [route.produces ?? 'application/json']: {} },
    },
    default: {
      description: 'coded error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    },
  };
  return operation;
}

/** The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(options: {
  readonly version: string;
  readonly routes: readonly DescribedRoute[];
}): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of options.routes) {
    const key = openApiPath(route.path);
    const item = paths[key] ?? {};
    item[route.method.toLowerCase()] = describeOperation(route);
    paths[key] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Aviary control API',
      version: options.version,
      description:
        'Control API of an Aviary runtime. Every endpoint needs `Authorization: Bearer TOKEN` ' +
        '(the api-token file of the data folder) unless it says `security: []`.',
    },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' } },
            },
          },
        },
      },
    },
    paths,
  };
}
