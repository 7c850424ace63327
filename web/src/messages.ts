/**
 * What the page says when something goes wrong: words a person understands, never the server's
 * field text. Form input is checked here first, with the contract's rules; the server's answers
 * are translated by their error code.
 */
import { PresenceApiError } from '../../client';

const NAME = /^[A-Za-z0-9_.-]{3,32}$/;

/** Sign-up input against the contract's rules (name 3–32 of `[A-Za-z0-9_.-]`, password 8–128); null when fine. */
export const signUpProblem = (name: string, password: string): string | null => {
  if (!NAME.test(name)) return 'Name must be 3–32 characters: letters, digits, “_”, “.” or “-”.';
  if (password.length < 8) return 'Password must be at least 8 characters.';
  if (password.length > 128) return 'Password must be at most 128 characters.';
  return null;
};

/** Log-in input: anything that cannot be an account is answered without asking the server. */
export const logInProblem = (name: string, password: string): string | null =>
  name === '' || password === '' ? 'Enter your name and password.' : null;

const BY_CODE: Record<string, string> = {
  invalid_credentials: 'Wrong name or password.',
  name_taken: 'That name is taken. Please choose another.',
  rate_limited: 'Too many attempts. Please wait a few minutes, then try again.',
  payload_too_large: 'That is too long.',
  not_found: 'That user no longer exists.',
  unauthorized: 'Your session has ended; please log in again.',
  invalid_request: 'The server could not accept that. Please check what you entered.',
};

/** A failure of an API call, in words: by the contract's code; a failed fetch means no network. */
export const describeError = (error: unknown): string => {
  if (error instanceof PresenceApiError) {
    return BY_CODE[error.code] ?? 'Something went wrong on our side. Please try again in a moment.';
  }
  return 'Cannot reach the server. Check your connection and try again.';
};
