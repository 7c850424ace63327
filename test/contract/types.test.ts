import type * as v from 'valibot';
import type * as schemas from '../../contract/schemas';
import type * as written from '../../contract/types';

/** Equal as TypeScript sees them, `readonly` aside (the written-out types are readonly throughout). */
type Writable<T> = T extends readonly (infer Item)[]
  ? Writable<Item>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;
type Equal<A, B> = (<T>() => T extends Writable<A> ? 1 : 2) extends <T>() => T extends Writable<B> ? 1 : 2 ? true : false;
const same = <A, B>(proof: Equal<A, B>): Equal<A, B> => proof;

// `npx tsc --noEmit` (run before every landing) rejects any `true` below when the types differ.
const proofs = [
  same<written.Status, schemas.Status>(true),
  same<written.UserJson, schemas.UserJson>(true),
  same<written.PresenceJson, schemas.PresenceJson>(true),
  same<written.PresenceChangeJson, schemas.PresenceChangeJson>(true),
  same<written.UserWithPresence, schemas.UserWithPresence>(true),
  same<written.Session, schemas.Session>(true),
  same<written.SearchPage, schemas.SearchPage>(true),
  same<written.PresenceList, schemas.PresenceList>(true),
  same<written.HeartbeatReply, schemas.HeartbeatReply>(true),
  same<written.Me, schemas.Me>(true),
  same<written.Config, schemas.Config>(true),
  same<written.HealthDegraded, schemas.HealthDegraded>(true),
  same<written.ErrorBody, schemas.ErrorBody>(true),
  same<written.Faults, schemas.Faults>(true),
  same<written.ErrorCode, schemas.ErrorCode>(true),
  same<written.HttpErrorCode, schemas.HttpErrorCode>(true),
  same<written.ClientFrame, v.InferInput<typeof schemas.ClientFrameSchema>>(true),
  same<written.ServerFrame, schemas.ServerFrame>(true),
  same<written.SignUpBody, v.InferInput<typeof schemas.SignUpBodySchema>>(true),
];

describe('contract/types.ts', () => {
  it('writes out the very types valibot infers from the schemas (checked by the compiler)', () => {
    expect(proofs.every((proof) => proof)).toBe(true);
  });
});
