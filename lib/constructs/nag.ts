import { CfnElement, Stack } from 'aws-cdk-lib';
// cdk-nag's own flattening, so acknowledgment ids match its findings byte for byte.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
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

/**
 * The id cdk-nag 3 gives an `AwsSolutions-IAM5` finding for a wildcard resource ARN, however the
 * ARN is built (tokens for partition, region and account when the stack is environment-agnostic,
 * literals when it is not): the ARN is resolved in its stack and flattened exactly as cdk-nag does.
 */
export const wildcardArnFinding = (scope: IConstruct, arn: string): string =>
  `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(arn))}]`;
