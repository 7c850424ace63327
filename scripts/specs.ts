/**
 * `npm run specs`: writes docs/openapi.json (OpenAPI 3.1), docs/asyncapi.json (AsyncAPI 3.0) and
 * contract/types.ts from the schemas in contract/, and the example blocks of docs/protocol.md from
 * contract/examples.ts, so the three documents show the same objects. A test fails when a committed file
 * differs from what this writes (test/contract/specs.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type ConversionConfig, toJsonSchema, toJsonSchemaDefs } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { examples } from '../contract/examples';
import { components, type HttpOperation, httpExamples, httpOperations } from '../contract/http';
import { HTTP_ERROR_CODES, StatusSchema, WS_ERROR_CODES } from '../contract/schemas';
import { wsComponents, wsExamples, wsMessages, wsRequests } from '../contract/websocket';

const ROOT = path.resolve(__dirname, '..');
export const OPENAPI_PATH = path.join(ROOT, 'docs', 'openapi.json');
export const ASYNCAPI_PATH = path.join(ROOT, 'docs', 'asyncapi.json');
export const PROTOCOL_PATH = path.join(ROOT, 'docs', 'protocol.md');
export const TYPES_PATH = path.join(ROOT, 'contract', 'types.ts');

const VERSION = '1.1.0';
const DESCRIPTION = 'Who is online, for a chat app. The same contract on AWS and on the local runtime (`npm start`); see docs/protocol.md.';

type Json = Record<string, unknown>;

/**
 * JSON Schema of the wire format: the input side of every pipeline (before transforms such as
 * de-duplicating ids); `check` actions are described by the metadata beside them, and `readonly`
 * concerns TypeScript only.
 */
const conversion = (target: 'draft-2020-12' | 'draft-07', refBase: string): ConversionConfig => ({
  target,
  typeMode: 'input',
  ignoreActions: ['check', 'readonly'],
  overrideRef: (context) => `${refBase}${context.referenceId}`,
});

const defs = (schemas: Record<string, v.GenericSchema>, target: 'draft-2020-12' | 'draft-07', refBase: string): Json =>
  toJsonSchemaDefs(schemas, conversion(target, refBase)) as Json;

/** A parameter's schema, inline (parameters are plain strings). */
const inlineSchema = (schema: v.GenericSchema): Json => {
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, conversion('draft-2020-12', '#/components/schemas/')) as Json;
  return rest;
};

/** Throws when an example does not satisfy the schema it illustrates: the specs never show a wrong one. */
const checked = (schema: v.GenericSchema, value: unknown, what: string): unknown => {
  const result = v.safeParse(schema, value);
  if (!result.success)
    throw new Error(`Example ${what} does not match its schema: ${result.issues.map((issue) => issue.message).join('; ')}`);
  return value;
};

/** For an example request that breaks its schema: the request, shown beside the answer. */
const answering = (sent: unknown, schema: v.GenericSchema | undefined): { description?: string } =>
  sent === undefined || schema === undefined || v.is(schema, sent) ? {} : { description: `The answer to ${JSON.stringify(sent)}` };

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

const parameters = (operation: HttpOperation): Json[] => {
  const list = (where: 'path' | 'query', entries: Readonly<Record<string, v.GenericSchema>> | undefined) =>
    Object.entries(entries ?? {}).map(([name, schema]) => {
      const named = httpExamples.filter(
        (example) =>
          example.operationId === operation.operationId &&
          (where === 'path' ? example.pathParameters : example.query)?.[name] !== undefined,
      );
      const { description, ...json } = inlineSchema(schema);
      return {
        name,
        in: where,
        required: where === 'path' || schema.type !== 'optional',
        ...(description === undefined ? {} : { description }),
        schema: json,
        ...(named.length === 0
          ? {}
          : {
              examples: Object.fromEntries(
                named.map((example) => [
                  example.name,
                  { summary: example.summary, value: (where === 'path' ? example.pathParameters : example.query)?.[name] },
                ]),
              ),
            }),
      };
    });
  return [...list('path', operation.pathParameters), ...list('query', operation.query)];
};

export const openApiDocument = (): Json => {
  const paths: Record<string, Json> = {};
  for (const operation of httpOperations) {
    const own = httpExamples.filter((example) => example.operationId === operation.operationId);
    const params = parameters(operation);
    const body = operation.body;
    // A request that breaks the schema (sent to show the error) is shown with its answer, not as a valid body.
    const bodyExamples = own.filter((example) => example.body !== undefined && body !== undefined && v.is(components[body], example.body));
    paths[operation.path] ??= {};
    paths[operation.path][operation.method.toLowerCase()] = {
      operationId: operation.operationId,
      summary: operation.summary,
      description: operation.description,
      tags: [operation.localOnly === true ? 'local' : 'presence'],
      security: operation.auth ? [{ bearer: [] }] : [],
      ...(params.length === 0 ? {} : { parameters: params }),
      ...(body === undefined
        ? {}
        : {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: ref(body),
                  examples: Object.fromEntries(
                    bodyExamples.map((example) => [example.name, { summary: example.summary, value: example.body }]),
                  ),
                },
              },
            },
          }),
      responses: Object.fromEntries(
        Object.entries(operation.responses).map(([status, response]) => {
          const answered = own.filter((example) => String(example.status) === status);
          const schema = components[response.schema];
          return [
            status,
            {
              description: response.description,
              ...(status === '429'
                ? { headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer', minimum: 1 } } } }
                : {}),
              content: {
                'application/json': {
                  schema: ref(response.schema),
                  ...(answered.length === 0
                    ? {}
                    : {
                        examples: Object.fromEntries(
                          answered.map((example) => [
                            example.name,
                            {
                              summary: example.summary,
                              ...answering(example.body, body === undefined ? undefined : components[body]),
                              value: checked(schema, example.response, example.name),
                            },
                          ]),
                        ),
                      }),
                },
              },
            },
          ];
        }),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Presence service HTTP API', version: VERSION, description: DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } },
    servers: [
      { url: 'http://127.0.0.1:4000', description: 'local runtime (npm start)' },
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'AWS (API Gateway HTTP API)',
        variables: { apiId: { default: 'abcdef1234', description: 'the HTTP API id' }, region: { default: 'us-east-1' } },
      },
    ],
    tags: [
      { name: 'presence', description: 'The service, deployed and local' },
      { name: 'local', description: 'The local runtime only, never deployed' },
    ],
    paths,
    components: {
      schemas: defs(components, 'draft-2020-12', '#/components/schemas/'),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'the token sign-up or log-in returned' },
      },
    },
  };
};

export const asyncApiDocument = (): Json => {
  const messageRef = (name: string) => ({ $ref: `#/channels/presence/messages/${name}` });
  const exampleFor = (name: keyof typeof wsMessages) => [
    ...wsExamples
      .filter((example) => example.sendMessage === name && v.is(wsComponents[wsMessages[name].schema], example.send))
      .map((example) => ({ name: example.name, summary: example.summary, payload: example.send })),
    ...wsExamples
      .filter((example) => example.replyMessage === name)
      .map((example) => ({
        name: example.name,
        summary:
          example.sendMessage !== null && v.is(wsComponents[wsMessages[example.sendMessage].schema], example.send)
            ? example.summary
            : `${example.summary}: the answer to ${JSON.stringify(example.send)}`,
        payload: checked(wsComponents[wsMessages[name].schema], example.reply, example.name),
      })),
    ...(name === 'presence' ? [{ name: 'wentOffline', summary: 'A watched user went offline', payload: examples.PresenceEvent }] : []),
  ];
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Presence service WebSocket API',
      version: VERSION,
      description: `${DESCRIPTION} Frames are JSON text. A single frame over 32 KB, or a message over 128 KB, closes the connection with code 1009 (API Gateway's limit) and never reaches the service; a message over 32 KiB sent in smaller frames gets a payload_too_large error frame.`,
      license: { name: 'MIT' },
    },
    servers: {
      local: { host: '127.0.0.1:4001', protocol: 'ws', description: 'local runtime (npm start)' },
      aws: {
        host: '{apiId}.execute-api.{region}.amazonaws.com',
        pathname: '/{stage}',
        protocol: 'wss',
        description: 'AWS (API Gateway WebSocket API)',
        variables: { apiId: { default: 'abcdef1234' }, region: { default: 'us-east-1' }, stage: { default: 'prod' } },
      },
    },
    defaultContentType: 'application/json',
    channels: {
      presence: {
        address: '/',
        title: 'The presence connection',
        description: 'Connect with ?token=<token>; a missing, forged or expired token is refused at the handshake.',
        messages: Object.fromEntries(Object.keys(wsMessages).map((name) => [name, { $ref: `#/components/messages/${name}` }])),
        bindings: {
          ws: {
            query: {
              type: 'object',
              properties: { token: { type: 'string', description: 'the token sign-up or log-in returned' } },
              required: ['token'],
            },
          },
        },
      },
    },
    operations: {
      ...Object.fromEntries(
        wsRequests.map(({ message, replies }) => [
          message,
          {
            action: 'receive',
            channel: { $ref: '#/channels/presence' },
            summary: wsMessages[message].summary,
            messages: [messageRef(message)],
            reply: { channel: { $ref: '#/channels/presence' }, messages: replies.map(messageRef) },
          },
        ]),
      ),
      presence: {
        action: 'send',
        channel: { $ref: '#/channels/presence' },
        summary: wsMessages.presence.summary,
        messages: [messageRef('presence')],
      },
    },
    components: {
      schemas: defs(wsComponents, 'draft-07', '#/components/schemas/'),
      messages: Object.fromEntries(
        Object.entries(wsMessages).map(([name, message]) => [
          name,
          {
            name,
            title: message.title,
            summary: message.summary,
            contentType: 'application/json',
            payload: ref(message.schema),
            examples: exampleFor(name as keyof typeof wsMessages),
          },
        ]),
      ),
    },
  };
};

/** A value as JSON the way a person writes it: on one line when it fits, otherwise one entry a line. */
export const prettyJson = (value: unknown, indent = ''): string => {
  const inline = (item: unknown): string => {
    if (Array.isArray(item)) return `[${item.map(inline).join(', ')}]`;
    if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item).map(([key, entry]) => `${JSON.stringify(key)}: ${inline(entry)}`);
      return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
    }
    return JSON.stringify(item);
  };
  const flat = inline(value);
  if (indent.length + flat.length <= 110 || value === null || typeof value !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((item) => `${inner}${prettyJson(item, inner)}`).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value).map(([key, entry]) => `${inner}${JSON.stringify(key)}: ${prettyJson(entry, inner)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
};

/** docs/protocol.md with each block after `<!-- example: Name -->` rewritten from contract/examples.ts. */
export const renderProtocol = (markdown: string): string =>
  markdown.replace(/(<!-- example: (\w+) -->\n)```(\w+)\n[\s\S]*?\n```/g, (_block, marker: string, name: string, language: string) => {
    if (!(name in examples)) throw new Error(`docs/protocol.md shows an example that contract/examples.ts does not have: ${name}`);
    const value = examples[name as keyof typeof examples];
    if (language === 'json') return `${marker}\`\`\`json\n${prettyJson(value)}\n\`\`\``;
    const example = httpExamples.find((candidate) => candidate.body === value);
    const operation = httpOperations.find((candidate) => candidate.operationId === example?.operationId);
    if (operation === undefined) throw new Error(`No HTTP example sends ${name}`);
    return `${marker}\`\`\`http\n${operation.method} ${operation.path}\ncontent-type: application/json\n\n${prettyJson(value)}\n\`\`\``;
  });

/** What each named schema is called as a TypeScript type (the names the code used before the schemas). */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  User: 'UserJson',
  Presence: 'PresenceJson',
  PresenceChange: 'PresenceChangeJson',
  Error: 'ErrorBody',
};
const typeName = (component: string): string => TYPE_NAMES[component] ?? component;

/** A JSON Schema (the subset contract/ produces) as a TypeScript type. */
const tsType = (schema: Json, indent: string): string => {
  if (typeof schema.$ref === 'string') return typeName(schema.$ref.slice(schema.$ref.lastIndexOf('/') + 1));
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Json[]).map((member) => tsType(member, indent)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = tsType(schema.items as Json, indent);
      return `readonly ${item.includes(' ') ? `(${item})` : item}[]`;
    }
    case 'object': {
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const inner = `${indent}  `;
      const properties = Object.entries((schema.properties as Record<string, Json> | undefined) ?? {}).map(
        ([key, property]) =>
          `${typeof property.description === 'string' ? `${inner}/** ${property.description} */\n` : ''}${inner}readonly ${key}${required.has(key) ? '' : '?'}: ${tsType(property, inner)};`,
      );
      return properties.length === 0 ? '{}' : `{\n${properties.join('\n')}\n${indent}}`;
    }
    default:
      throw new Error(`No TypeScript for the JSON Schema ${JSON.stringify(schema)}`);
  }
};

/**
 * contract/types.ts: the schemas' types written out, for code that must not depend on valibot to
 * type-check (the client package's declarations). test/contract/types.test.ts proves them equal
 * to the types valibot infers.
 */
export const typesModule = (): string => {
  const named = defs({ ...components, ...wsComponents }, 'draft-07', '#/');
  const declarations = Object.entries(named).map(([component, schema]) => {
    const type = tsType(schema as Json, '');
    return type.startsWith('{') ? `export interface ${typeName(component)} ${type}` : `export type ${typeName(component)} = ${type};`;
  });
  const union = (names: readonly string[]) => names.map(typeName).join(' | ');
  return [
    '// Generated by `npm run specs` from contract/schemas.ts: do not edit.',
    '',
    `export type Status = ${tsType(toJsonSchema(StatusSchema) as Json, '')};`,
    `export type HttpErrorCode = ${HTTP_ERROR_CODES.map((code) => JSON.stringify(code)).join(' | ')};`,
    `export type ErrorCode = ${WS_ERROR_CODES.map((code) => JSON.stringify(code)).join(' | ')};`,
    ...declarations,
    '/** Every frame a client sends. */',
    `export type ClientFrame = ${union(['SubscribeFrame', 'UnsubscribeFrame', 'SetStatusFrame', 'HeartbeatFrame'])};`,
    "export type ClientAction = ClientFrame['action'];",
    '/** Every frame the service sends. */',
    `export type ServerFrame = ${union(['SubscribedFrame', 'UnsubscribedFrame', 'StatusFrame', 'HeartbeatAckFrame', 'PresenceEvent', 'ErrorFrame'])};`,
    '',
  ].join('\n');
};

export const generatedFiles = (): Record<string, string> => ({
  [TYPES_PATH]: typesModule(),
  [OPENAPI_PATH]: `${JSON.stringify(openApiDocument(), null, 2)}\n`,
  [ASYNCAPI_PATH]: `${JSON.stringify(asyncApiDocument(), null, 2)}\n`,
  [PROTOCOL_PATH]: renderProtocol(readFileSync(PROTOCOL_PATH, 'utf8')),
});

const main = (): void => {
  for (const [file, text] of Object.entries(generatedFiles())) {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
  }
};

if (require.main === module) main();
