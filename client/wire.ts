/**
 * The wire types and limits of the contract, as the client uses them: the one module of the
 * library that reaches into the contract's schema source: contract/types.ts, the types of the
 * schemas the server validates with (generated from them by `npm run specs`, so the declaration
 * bundle needs no valibot; test/contract/types.test.ts and test/client/wire-types.test.ts have the
 * compiler prove they agree), and contract/limits.ts, the numbers. Nothing is restated by hand.
 * The build inlines them: the package's index.js and index.d.ts import nothing from outside it.
 */
import type { PresenceJson } from '../contract/types';

export { MAX_IDS_PER_FRAME, MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../contract/limits';
export type {
  ClientFrame,
  Config as ConfigReply,
  ErrorCode,
  HeartbeatReply,
  Me as MeReply,
  PresenceChangeJson,
  PresenceJson,
  SearchPage,
  ServerFrame,
  Session,
  UserJson,
  UserWithPresence,
} from '../contract/types';

/** `online` or `offline`. */
export type Status = PresenceJson['status'];
