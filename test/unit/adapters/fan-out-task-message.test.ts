import { parseFanOutTask } from '../../../lambdas/adapters/sqs-delivery-queues';
import type { FanOutTask } from '../../../lambdas/ports';

const change = (userId: string) => ({ userId, status: 'online' as const, lastSeen: null, changedAt: 1_700_000_000_000, version: 3 });

describe('fan-out task messages', () => {
  it('a task of several users, each with its cursor, survives the queue', () => {
    const task: FanOutTask = {
      cursors: [
        { change: change('1'), after: null },
        { change: change('2'), after: '1790000000#abcDEF123456789=' },
      ],
    };

    expect(parseFanOutTask(JSON.stringify(task))).toEqual(task);
  });

  it('a message of the previous release (one change and its cursor) is a task of one cursor, not lost across a deploy', () => {
    expect(parseFanOutTask(JSON.stringify({ change: change('1'), after: 'x' }))).toEqual({
      cursors: [{ change: change('1'), after: 'x' }],
    });
  });

  it.each([
    ['no cursors', { cursors: [] }],
    ['cursors not a list', { cursors: 'x' }],
    ['a cursor without its change', { cursors: [{ change: change('1'), after: null }, { after: null }] }],
    ['a cursor whose after is not a string', { cursors: [{ change: change('1'), after: 5 }] }],
    ['a change without a version', { cursors: [{ change: { ...change('1'), version: undefined }, after: null }] }],
  ])('refuses a body with %s', (_name, body) => {
    expect(parseFanOutTask(JSON.stringify(body))).toBeNull();
  });
});
