import path from 'node:path';
import { javaArguments } from '../../../local/dynamodb/dynamodb-local';
import { dynamoDbLocalOptions } from '../../../local/stack';

const QUICK_COMPILER_ONLY = '-XX:TieredStopAtLevel=1';

describe("DynamoDB Local's java command line", () => {
  it('starts fast by default: the quick compiler only', () => {
    expect(javaArguments('/jar', 8000, {})).toContain(QUICK_COMPILER_ONLY);
    expect(javaArguments('/jar', 8000, { jit: 'start' })).toContain(QUICK_COMPILER_ONLY);
  });

  it('keeps the optimising compiler for a sustained run', () => {
    expect(javaArguments('/jar', 8000, { jit: 'sustained' })).not.toContain(QUICK_COMPILER_ONLY);
  });

  it('keeps its tables in memory without a data directory, and in the directory with one', () => {
    const inMemory = javaArguments('/jar', 8000, {});
    const onDisk = javaArguments('/jar', 8000, { dataDir: 'data/dynamodb' });

    expect(inMemory).toContain('-inMemory');
    expect(inMemory).not.toContain('-dbPath');
    expect(onDisk).not.toContain('-inMemory');
    expect(onDisk.slice(onDisk.indexOf('-dbPath'), onDisk.indexOf('-dbPath') + 2)).toEqual(['-dbPath', path.resolve('data/dynamodb')]);
  });
});

describe("the local stack's DynamoDB Local", () => {
  const base = { dynamoDbPort: 8000, dataDir: '/data' };

  it('keeps its tables in the data dir by default, so a restart finds them', () => {
    expect(dynamoDbLocalOptions(base)).toEqual({ port: 8000, dataDir: path.join('/data', 'dynamodb'), jit: undefined });
    expect(dynamoDbLocalOptions({ ...base, dynamoDbStorage: 'disk' }).dataDir).toBe(path.join('/data', 'dynamodb'));
  });

  it('keeps them in memory and compiles for a sustained run when asked (the bench)', () => {
    expect(dynamoDbLocalOptions({ ...base, dynamoDbStorage: 'memory', dynamoDbJit: 'sustained' })).toEqual({
      port: 8000,
      dataDir: undefined,
      jit: 'sustained',
    });
  });
});
