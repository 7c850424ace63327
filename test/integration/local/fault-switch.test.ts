/**
 * The local fault switch (contract, Local runtime): `PUT /local/faults {"dataApi":"down"|"up"}` on
 * the HTTP port turns the local RDS Data API into an unavailable database and back; `GET` reads the
 * switches; bad bodies get the contract's 400.
 */
import { DatabaseUnavailableException, ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { firstAnswer, type HttpApi, startHttpApi } from '../../../local/api-gateway/http-api';
import { type DataApiServer, startDataApi } from '../../../local/data-api/server';
import { FaultSwitchboard, faultsEndpoint } from '../../../local/faults';

let dataApi: DataApiServer;
let http: HttpApi;
let client: RDSDataClient;

beforeAll(async () => {
  const faults = new FaultSwitchboard();
  const dataApiSwitch = faults.add('dataApi');
  dataApi = await startDataApi({ unavailable: () => dataApiSwitch.down });
  http = await startHttpApi({ routes: [], fallback: firstAnswer(faultsEndpoint(faults)) });
  // No SDK retries: the test sees every answer.
  client = new RDSDataClient({
    endpoint: dataApi.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    maxAttempts: 1,
  });
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await http?.stop();
  await dataApi?.stop();
});

const selectOne = () =>
  client.send(
    new ExecuteStatementCommand({
      resourceArn: dataApi.resourceArn,
      secretArn: dataApi.secretArn,
      database: dataApi.database,
      sql: 'SELECT 1',
    }),
  );

const faults = (method: 'GET' | 'PUT', body?: string) =>
  fetch(`${http.url}/local/faults`, { method, headers: { 'content-type': 'application/json' }, body });

describe('the dataApi fault switch', () => {
  it('makes every Data API call fail as an unavailable database until it is switched up again', async () => {
    expect(await (await faults('GET')).json()).toEqual({ dataApi: 'up' });

    const down = await faults('PUT', '{"dataApi":"down"}');
    expect(down.status).toBe(200);
    expect(await down.json()).toEqual({ dataApi: 'down' });
    expect(await (await faults('GET')).json()).toEqual({ dataApi: 'down' });
    const failure = await selectOne().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DatabaseUnavailableException);
    expect((failure as DatabaseUnavailableException).$metadata.httpStatusCode).toBe(504);

    expect((await faults('PUT', '{"dataApi":"up"}')).status).toBe(200);
    expect((await selectOne()).records).toEqual([[{ longValue: 1 }]]);
  });

  it.each([
    ['not JSON', '{"dataApi":'],
    ['not an object', '["down"]'],
    ['no switch', '{}'],
    ['an unknown switch', '{"dynamodb":"down"}'],
    ['an unknown position', '{"dataApi":"off"}'],
    ['a position of the wrong type', '{"dataApi":false}'],
    ['partly valid', '{"dataApi":"down","dynamodb":"down"}'],
  ])('answers 400 invalid_request to a body that is %s, and changes nothing', async (_case, body) => {
    const response = await faults('PUT', body);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
    expect(await (await faults('GET')).json()).toEqual({ dataApi: 'up' });
  });

  it('leaves the other switches as they are when a body names only some of them', async () => {
    const board = new FaultSwitchboard();
    const a = board.add('a');
    const b = board.add('b');

    board.apply({ a: 'down' });
    board.apply({ b: 'down' });
    board.apply({ a: 'up' });

    expect([a.down, b.down]).toEqual([false, true]);
    expect(board.positions()).toEqual({ a: 'up', b: 'down' });
  });
});
