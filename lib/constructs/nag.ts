import { CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The id cdk-nag 3 gives an `AwsSolutions-IAM5` finding for a wildcard resource written as
 * `{Fn::GetAtt: [<resource>, <attribute>]}` + `suffix` (cdk-nag acknowledges findings one by one,
 * by exact id). `undefined` when the construct has no CloudFormation resource of its own (imported).
 */
export const wildcardResourceFinding = (construct: IConstruct, attribute: string, suffix: string): string | undefined => {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) return undefined;
  const logicalId = Stack.of(resource).resolve(resource.logicalId) as string;
  return `AwsSolutions-IAM5[Resource::<${logicalId}.${attribute}>${suffix}]`;
};
