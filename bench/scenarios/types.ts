import type { BenchStack } from '../lib/stack';

/** One line of the summary table the bench prints. */
export interface Row {
  readonly metric: string;
  readonly value: string;
  /** What the issue asks for, when it asks for something. */
  readonly target?: string;
  /** Whether the target is met (undefined: no target). */
  readonly ok?: boolean;
}

export interface ScenarioOutput {
  /** Written to `bench/results/<scenario>.json`, with the run's metadata. */
  readonly result: Record<string, unknown>;
  readonly rows: readonly Row[];
  /** A correctness failure (e.g. an undelivered event): the bench exits non-zero after writing results. */
  readonly failure?: string;
  /** Extra files to write next to the results (name -> content), e.g. the latency chart. */
  readonly files?: Readonly<Record<string, string>>;
}

export interface ScenarioContext {
  readonly bench: BenchStack;
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

export type Scenario = (context: ScenarioContext) => Promise<ScenarioOutput>;

export const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 1 : 0)} ms` : 'n/a');
