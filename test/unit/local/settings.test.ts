import { parseChoice, parseFunctionIsolation } from '../../../local/stack';

describe('a setting that names one of a few choices', () => {
  it('is the fallback when unset or empty, and the value when it is one of the choices', () => {
    expect(parseChoice(undefined, 'BENCH_DYNAMODB', ['memory', 'disk'], 'memory')).toBe('memory');
    expect(parseChoice('', 'BENCH_DYNAMODB', ['memory', 'disk'], 'memory')).toBe('memory');
    expect(parseChoice('disk', 'BENCH_DYNAMODB', ['memory', 'disk'], 'memory')).toBe('disk');
    expect(parseChoice('memory', 'BENCH_DYNAMODB', ['memory', 'disk'], 'disk')).toBe('memory');
  });

  it('is refused, naming the variable and its choices, when it is anything else (case included)', () => {
    expect(() => parseChoice('Disk', 'BENCH_DYNAMODB', ['memory', 'disk'], 'memory')).toThrow(
      'BENCH_DYNAMODB must be memory or disk, got "Disk"',
    );
  });

  it('gives PRESENCE_FUNCTION_ISOLATION thread or process', () => {
    expect(parseFunctionIsolation(undefined, 'PRESENCE_FUNCTION_ISOLATION', 'thread')).toBe('thread');
    expect(parseFunctionIsolation('process', 'PRESENCE_FUNCTION_ISOLATION', 'thread')).toBe('process');
    expect(() => parseFunctionIsolation('threads', 'PRESENCE_FUNCTION_ISOLATION', 'thread')).toThrow(
      'PRESENCE_FUNCTION_ISOLATION must be thread or process, got "threads"',
    );
  });
});
