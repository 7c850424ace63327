/**
 * Fault switches for tests and benchmarks (contract, "Local runtime"): `PUT /local/faults` with
 * `{"<switch>": "down" | "up"}` on the HTTP port, `GET /local/faults` for every switch's position.
 * Local runtime only: nothing in lib/ deploys it, and handlers never see it (the stand-ins do).
 *
 * A switchboard, so a stand-in gets a switch with one `add(name)` and reads `switch.down` per call.
 */
import type { StaticResponse } from './api-gateway/http-api';

export type SwitchPosition = 'up' | 'down';

export interface FaultSwitch {
  readonly name: string;
  /** Whether the stand-in should fail now; read on every call, so a flip takes effect at once. */
  readonly down: boolean;
}

/** A body the switchboard cannot apply; the request changes nothing. */
class FaultRequestError extends Error {}

const POSITIONS: readonly string[] = ['up', 'down'];

export class FaultSwitchboard {
  private readonly switches = new Map<string, { name: string; down: boolean }>();

  /** A new switch, up until a request puts it down. */
  add(name: string): FaultSwitch {
    if (this.switches.has(name)) throw new Error(`fault switch ${name} exists already`);
    const entry = { name, down: false };
    this.switches.set(name, entry);
    return entry;
  }

  positions(): Record<string, SwitchPosition> {
    return Object.fromEntries([...this.switches.values()].map((entry) => [entry.name, entry.down ? 'down' : 'up']));
  }

  /** Sets the switches a body names, all or none; the others keep their positions. */
  apply(body: unknown): Record<string, SwitchPosition> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FaultRequestError('The body must be a JSON object');
    const entries = Object.entries(body);
    if (entries.length === 0) throw new FaultRequestError(`Name at least one switch: ${this.names()}`);
    for (const [name, position] of entries) {
      if (!this.switches.has(name)) throw new FaultRequestError(`Unknown switch "${name}"; switches: ${this.names()}`);
      if (typeof position !== 'string' || !POSITIONS.includes(position)) throw new FaultRequestError(`${name} must be "up" or "down"`);
    }
    for (const [name, position] of entries) (this.switches.get(name) as { down: boolean }).down = position === 'down';
    return this.positions();
  }

  private names(): string {
    return [...this.switches.keys()].join(', ');
  }
}

const FAULTS_PATH = '/local/faults';

const json = (status: number, body: object): StaticResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: Buffer.from(JSON.stringify(body)),
});

/** `GET`/`PUT /local/faults` as an HTTP API fallback; errors in the contract's shape. */
export const faultsEndpoint =
  (board: FaultSwitchboard) =>
  async (method: string, path: string, body: Buffer): Promise<StaticResponse | null> => {
    if (path !== FAULTS_PATH) return null;
    if (method === 'GET') return json(200, board.positions());
    if (method !== 'PUT') return null;
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new FaultRequestError('The body is not valid JSON');
      }
      return json(200, board.apply(parsed));
    } catch (error) {
      if (!(error instanceof FaultRequestError)) throw error;
      return json(400, { error: { code: 'invalid_request', message: error.message } });
    }
  };
