import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildTestStack } from './app';

/**
 * cdk-nag 3 runs as a policy-validation plugin (bin/presence.ts registers it, so an unacknowledged
 * finding fails `cdk synth`); here the same pack is run on the synthesized tree directly, so a
 * failure lists every finding. Acknowledgements live next to the constructs they concern.
 */
const nagReport = (retainData: boolean): PolicyValidationPluginReport => {
  const { app, stack } = buildTestStack({ props: { retainData } });
  app.synth();
  return new AwsSolutionsChecks().validateScope(stack);
};

const findings = (report: PolicyValidationPluginReport, severity: 'error' | 'warning'): string[] =>
  report.violations
    .filter((violation) => violation.severity === severity)
    .map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`);

let production: PolicyValidationPluginReport;
let disposable: PolicyValidationPluginReport;

beforeAll(() => {
  production = nagReport(true);
  disposable = nagReport(false);
});

it('leaves no AwsSolutions error unacknowledged', () => {
  expect(findings(production, 'error')).toEqual([]);
});

it('leaves no AwsSolutions warning unacknowledged', () => {
  expect(findings(production, 'warning')).toEqual([]);
});

it('leaves no AwsSolutions error unacknowledged in a disposable stack (retainData: false)', () => {
  expect(findings(disposable, 'error')).toEqual([]);
});

it('leaves no AwsSolutions warning unacknowledged in a disposable stack (retainData: false)', () => {
  expect(findings(disposable, 'warning')).toEqual([]);
});
