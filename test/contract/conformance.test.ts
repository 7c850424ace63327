/**
 * Every documented example, sent to a fresh local stack in the documented order; each answer must
 * have the documented status and match the schema the committed spec gives for it (ajv), so the
 * specs describe what the service really does. The drift test ties the specs to contract/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { examples } from '../../contract/examples';
import { type HttpExample, httpExamples, httpOperations } from '../../contract/http';
import { wsExamples, wsMessages } from '../../contract/websocket';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { TestSocket } from '../helpers/ws-client';

const ROOT = path.resolve(__dirname, '../..');
const OPENAPI = 'https://presence.invalid/openapi.json';
const ASYNCAPI = 'https://presence.invalid/asyncapi.json';

const openapi = JSON.parse(readFileSync(path.join(ROOT, 'docs/openapi.json'), 'utf8'));
const asyncapi = JSON.parse(readFileSync(path.join(ROOT, 'docs/asyncapi.json'), 'utf8'));
// The specs are whole documents, not schemas: compile only the pointers into them.
const httpAjv = addFormats(new Ajv2020({ strict: false, allErrors: true })).addSchema({ ...openapi, $id: OPENAPI });
const wsAjv = addFormats(new Ajv({ strict: false, allErrors: true })).addSchema({ ...asyncapi, $id: ASYNCAPI });
const pointer = (...parts: string[]) => parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Schema errors of `body` against the spec's answer for that operation and status; a status the spec does not list is an error too. */
const httpProblems = (example: HttpExample, status: number, body: unknown): string[] => {
  const operation = httpOperations.find((candidate) => candidate.operationId === example.operationId)!;
  const responses = openapi.paths[operation.path][operation.method.toLowerCase()].responses;
  if (responses[String(status)] === undefined) return [`status ${status} is not documented for ${operation.method} ${operation.path}`];
  const validate = httpAjv.compile({
    $ref: `${OPENAPI}#/${pointer('paths', operation.path, operation.method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`,
  });
  return validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
};

let env: TestStack;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  env = await startTestStack();
}, 90_000);

afterAll(async () => {
  sockets.forEach((socket) => socket.terminate());
  await env?.dispose();
}, 30_000);

describe('the documented examples against the local stack', () => {
  let token = '';

  const send = async (example: HttpExample): Promise<{ status: number; problems: string[] }> => {
    const operation = httpOperations.find((candidate) => candidate.operationId === example.operationId)!;
    const urlPath = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) =>
      encodeURIComponent(example.pathParameters?.[name] ?? ''),
    );
    const query = example.query === undefined ? '' : `?${new URLSearchParams(example.query as Record<string, string>)}`;
    const headers: Record<string, string> = {};
    if (operation.auth) headers.authorization = `Bearer ${example.forgedToken === true ? examples.Session.token : token}`;
    if (example.body !== undefined) headers['content-type'] = 'application/json';

    const response = await fetch(`${env.stack.httpUrl}${urlPath}${query}`, {
      method: operation.method,
      headers,
      body: example.body === undefined ? undefined : JSON.stringify(example.body),
    });
    const body: any = await response.json();
    if (typeof body?.token === 'string') token = body.token;
    return { status: response.status, problems: httpProblems(example, response.status, body) };
  };

  it.each(httpExamples.map((example) => [`${example.operationId}: ${example.name}`, example] as const))(
    'HTTP %s',
    async (_name, example) => {
      expect(await send(example)).toEqual({ status: example.status, problems: [] });
    },
  );

  it('WebSocket: every documented frame gets the documented reply, and watchers get a presence event', async () => {
    const socket = await TestSocket.open(env.stack.wsUrl, token);
    sockets.push(socket);
    const problems: string[] = [];
    const validateEvent = wsAjv.compile({ $ref: `${ASYNCAPI}#/${pointer('components', 'schemas', wsMessages.presence.schema)}` });
    for (const example of wsExamples) {
      socket.send(example.send);
      const reply = await socket.next((frame) => frame?.requestId === (example.send as { requestId: string }).requestId);
      const validate = wsAjv.compile({ $ref: `${ASYNCAPI}#/${pointer('components', 'schemas', wsMessages[example.replyMessage].schema)}` });
      if (!validate(reply))
        problems.push(
          `${example.name}: ${JSON.stringify(reply)}: ${(validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`).join('; ')}`,
        );
      if (example.event === true) {
        const event = await socket.next((frame) => frame?.type === 'presence');
        if (!validateEvent(event))
          problems.push(`presence after ${example.name}: ${JSON.stringify(event)}: ${JSON.stringify(validateEvent.errors)}`);
      }
    }

    expect(problems).toEqual([]);
  });
});
