/**
 * Reading the synthesized template back, for the infra tests: logical ids, the functions the
 * manifest declares, and what a function's role is allowed. Not a test file: jest only runs `*.test.ts`.
 */
import { type CfnElement, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { PresenceStack } from '../../lib/presence-stack';

export type Json = Record<string, any>;

/** The logical id of a construct's CloudFormation resource. */
export const logicalIdOf = (construct: IConstruct): string => {
  const element = construct.node.defaultChild as CfnElement;
  return Stack.of(element).resolve(element.logicalId) as string;
};

/**
 * Every function built from the app manifest, as [manifest name, function] pairs: the HTTP and
 * WebSocket handlers, the event consumers and the migration. A handler built twice appears twice.
 */
export const manifestFunctions = (stack: PresenceStack): [string, lambda.Function][] => [
  ...[stack.httpApi.functions, stack.webSocketApi.functions, stack.events.functions].flatMap((functions) =>
    [...functions].map(([name, fn]): [string, lambda.Function] => [name, fn.function]),
  ),
  ['migrate', stack.schemaMigration.handler.function],
];

/** The function built for a manifest handler; throws when there is none. */
export const functionNamed = (stack: PresenceStack, name: string): lambda.Function => {
  const found = manifestFunctions(stack).find(([candidate]) => candidate === name);
  if (found === undefined) throw new Error(`No function for handler "${name}"`);
  return found[1];
};

/** The (action, resource) pairs a function's role is allowed, resources as template JSON. */
export const permissionsOf = (resources: Record<string, Json>, fn: lambda.Function): { action: string; resource: unknown }[] => {
  const roleId = logicalIdOf(fn.role!);
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => (policy.Properties.Roles as Json[]).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Json[])
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) =>
      [statement.Action].flat().flatMap((action: string) => [statement.Resource].flat().map((resource: unknown) => ({ action, resource }))),
    );
};

/** A template expression as one string: `Ref`s and `Fn::GetAtt`s become `<LogicalId>`, joins are joined. */
export const flatten = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const node = value as Json;
  if (node['Fn::Join'] !== undefined) return (node['Fn::Join'][1] as unknown[]).map(flatten).join(node['Fn::Join'][0]);
  if (node.Ref !== undefined) return `<${node.Ref}>`;
  if (node['Fn::GetAtt'] !== undefined) return `<${(node['Fn::GetAtt'] as string[]).join('.')}>`;
  return JSON.stringify(value);
};
