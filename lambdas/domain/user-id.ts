/** Ids are positive integers stored as bigint; anything else cannot be a user id. */
const ID = /^[1-9][0-9]{0,17}$/;

/**
 * Whether `id` could be a user id at all; anything else is simply unknown. Apart from the
 * contract's schemas, so that the user directory does not bundle the schema library.
 */
export const isUserId = (id: string): boolean => ID.test(id);
