import { InvalidRequestError, NameTakenError, RateLimitedError } from '../../../lambdas/domain/errors';
import { errorResponse } from '../../../lambdas/middleware/http';

describe('errorResponse', () => {
  it('maps domain errors to the contract code and status, keeping their message', () => {
    const response = errorResponse(new NameTakenError('That name is taken'));

    expect([response.statusCode, JSON.parse(response.body ?? '')]).toEqual([
      409,
      { error: { code: 'name_taken', message: 'That name is taken' } },
    ]);
  });

  it('turns anything else into a 500 internal error that reveals nothing of the cause', () => {
    const cause = Object.assign(new Error('ERROR: relation "users" does not exist; SQLState: 42P01 at SELECT password_hash FROM users'), {
      name: 'DatabaseErrorException',
    });

    const response = errorResponse(cause);

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: { code: 'internal', message: expect.any(String) } });
    expect(response.body).not.toMatch(/SQL|users|password|Database|at /);
  });

  it('answers rate_limited with 429 and a Retry-After in seconds', () => {
    const response = errorResponse(new RateLimitedError('Too many log-in attempts', 754));

    expect([response.statusCode, response.headers?.['retry-after']]).toEqual([429, '754']);
  });

  it('keeps 400 for invalid requests', () => {
    expect(errorResponse(new InvalidRequestError('q is required')).statusCode).toBe(400);
  });
});
