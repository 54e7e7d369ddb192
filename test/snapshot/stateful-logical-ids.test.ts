/**
 * A changed logical id makes CloudFormation create a new resource and drop the old one: for a bucket, key, database,
 * cluster, table or secret that means losing (or orphaning) data. This test pins the ids of every stateful resource.
 * If a change is intended, update stateful-logical-ids.json in the same commit and say in it how data moves over.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildPipelineStack, testApp } from '../helpers/app';

export const STATEFUL_TYPES = [
  'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::RDS::DBInstance', 'AWS::MSK::Cluster', 'AWS::MSK::Topic', 'AWS::DynamoDB::Table',
  'AWS::SecretsManager::Secret', 'AWS::Backup::BackupVault', 'AWS::Logs::LogGroup', 'AWS::GuardDuty::Detector', 'AWS::CloudTrail::Trail',
];
const PINNED = path.join(__dirname, 'stateful-logical-ids.json');

test.each(['dev', 'prod'])('stateful resources of the %s stack keep their logical ids', (profile) => {
  const resources = Template.fromStack(buildPipelineStack(testApp({ profile }), profile)).toJSON().Resources as Record<string, { Type: string }>;
  const actual = Object.entries(resources).filter(([, r]) => STATEFUL_TYPES.includes(r.Type)).map(([id, r]) => `${r.Type} ${id}`).sort();
  const pinned = (JSON.parse(fs.readFileSync(PINNED, 'utf8')) as Record<string, string[]>)[profile];
  const gone = (pinned ?? []).filter((x) => !actual.includes(x));
  expect({ replacedOrRemoved: gone }).toEqual({ replacedOrRemoved: [] });
  expect(actual).toEqual(pinned);
});
