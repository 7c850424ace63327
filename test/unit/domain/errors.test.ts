import { runInNewContext } from 'node:vm';
import { assertIsError, NotFoundError } from '../../../lambdas/domain/errors';

describe('assertIsError', () => {
  it("lets an Error through, domain errors and errors of another realm (Node's own errors inside Jest) included", () => {
    const foreign: unknown = runInNewContext('new TypeError("from another realm")');
    expect(foreign instanceof Error).toBe(false);

    for (const error of [new Error('plain'), new NotFoundError('missing'), foreign]) {
      expect(() => assertIsError(error)).not.toThrow();
    }
  });

  it.each([
    ['a string', 'boom'],
    ['undefined', undefined],
    ['an object with a message', { message: 'not an Error' }],
  ])('rethrows %s as it is', (_, value) => {
    let thrown: unknown = 'nothing thrown';
    try {
      assertIsError(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(value);
  });
});
