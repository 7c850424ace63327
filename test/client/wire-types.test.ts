/**
 * The client's wire types (client/wire.ts, plain interfaces its declaration bundle can inline
 * without valibot) must mean what the contract's schema source says (contract/schemas.ts). The
 * compiler checks it: every answer and frame the contract allows is accepted by the client's type,
 * and every frame the client sends is one the contract accepts.
 */
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');

const CHECK = `
import type * as client from './client/wire';
import type * as contract from './contract/schemas';

type Writable<T> = T extends readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
/** Compiles only when A is assignable to B. */
type Assignable<A, B extends A extends B ? unknown : never> = B;

export type Received = [
  Assignable<contract.Status, client.Status>,
  Assignable<client.Status, contract.Status>,
  Assignable<contract.UserJson, client.UserJson>,
  Assignable<contract.PresenceJson, client.PresenceJson>,
  Assignable<contract.PresenceChangeJson, client.PresenceChangeJson>,
  Assignable<contract.UserWithPresence, client.UserWithPresence>,
  Assignable<contract.Session, client.Session>,
  Assignable<contract.SearchPage, client.SearchPage>,
  Assignable<contract.HeartbeatReply, client.HeartbeatReply>,
  Assignable<contract.Me, client.MeReply>,
  Assignable<contract.Config, client.ConfigReply>,
  Assignable<contract.ServerFrame, client.ServerFrame>,
  Assignable<contract.ErrorCode, client.ErrorCode>,
];
export type Sent = [Assignable<Writable<client.ClientFrame>, contract.ClientFrame>];
export const limits: [typeof client.MAX_IDS_PER_FRAME, typeof client.MAX_SUBSCRIPTIONS_PER_CONNECTION] = [
  100 as typeof contract.MAX_IDS_PER_FRAME,
  1000 as typeof contract.MAX_SUBSCRIPTIONS_PER_CONNECTION,
];
`;

it('the client wire types accept everything the contract schemas allow, and send only what they accept', () => {
  const file = path.join(ROOT, '__wire-check.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? CHECK : readFile(name));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);

  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]);

  expect(problems).toEqual([]);
}, 60_000);
