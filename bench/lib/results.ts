import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import type { Row, ScenarioOutput } from '../scenarios/types';

export interface ResultFile {
  readonly scenario: string;
  readonly quick: boolean;
  readonly command: string;
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string; readonly platform: string };
  readonly durationSeconds: number;
  /** How the local stack ran (absent for coldstart, which needs none): e.g. DynamoDB Local in memory or on disk. */
  readonly stack?: Readonly<Record<string, unknown>>;
  readonly summary: readonly Row[];
  readonly failure?: string;
  readonly [key: string]: unknown;
}

export const writeResult = async (
  dir: string,
  scenario: string,
  quick: boolean,
  started: number,
  output: ScenarioOutput,
  stack?: Readonly<Record<string, unknown>>,
): Promise<string> => {
  await mkdir(dir, { recursive: true });
  const file: ResultFile = {
    scenario,
    quick,
    command: `npm run bench -- ${scenario}${quick ? ' --quick' : ''}`,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
    ...(stack === undefined ? {} : { stack }),
    summary: output.rows,
    ...(output.failure === undefined ? {} : { failure: output.failure }),
    ...output.result,
  };
  const target = path.join(dir, `${scenario}.json`);
  await writeFile(target, `${JSON.stringify(file, null, 2)}\n`);
  for (const [name, content] of Object.entries(output.files ?? {})) await writeFile(path.join(dir, name), content);
  return target;
};

export const readResult = async (dir: string, scenario: string): Promise<ResultFile | null> => {
  try {
    return JSON.parse(await readFile(path.join(dir, `${scenario}.json`), 'utf8')) as ResultFile;
  } catch {
    return null;
  }
};
