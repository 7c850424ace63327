/**
 * The wire types and limits of the contract, as the client uses them: the one module of the
 * library that reaches into the server's definition (lambdas/domain/protocol.ts), so nothing is
 * restated by hand. The build inlines them: the package's index.js and index.d.ts import nothing
 * from outside it. They are the server's plain interfaces rather than the types inferred from the
 * valibot schemas (contract/schemas.ts), which a declaration bundle could only carry by importing
 * valibot; test/client/wire-types.test.ts has the compiler prove the two agree.
 */
import type { PresenceJson } from '../lambdas/domain/protocol';

export type {
  ClientFrame,
  ConfigReply,
  ErrorCode,
  HeartbeatReply,
  MeReply,
  PresenceChangeJson,
  PresenceJson,
  SearchPage,
  ServerFrame,
  Session,
  UserJson,
  UserWithPresence,
} from '../lambdas/domain/protocol';
export { MAX_IDS_PER_FRAME, MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../lambdas/domain/protocol';

/** `online` or `offline`. */
export type Status = PresenceJson['status'];
