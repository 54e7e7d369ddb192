/**
 * The one way this project acknowledges a cdk-nag finding: on one resource, for one rule, with a real reason,
 * and never for the rules whose failure would mean data is exposed or stored unencrypted.
 */
import { App, CfnResource, Stack, Stage, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Metadata type under which acknowledgements are recorded, so reports and tests can list them. */
export const ACKNOWLEDGEMENT_METADATA = 'secure-data-pipeline:acknowledgement';

/**
 * Context key: when true, `acknowledge()` records the acknowledgement but does not silence the finding.
 * The nag tests use it to prove every acknowledgement still matches a real finding.
 */
export const AUDIT_ACKNOWLEDGEMENTS_CONTEXT = 'secure-data-pipeline:auditAcknowledgements';

export const MIN_REASON_LENGTH = 25;

/** Pack prefixes of the rule ids cdk-nag 3 reports (`<pack>-<rule>`), longest first. */
const PACK_PREFIXES = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'AwsSolutions', 'Serverless', 'DataPipeline'];

/**
 * Rules that are never acknowledged: public access to buckets, requests without TLS, unencrypted storage,
 * plaintext or unauthenticated streaming, and every rule of our own pack (network reach, retention of data,
 * failure handling and logging of functions). Names are the rule part of the id
 * (after `<pack>-`), so one entry covers the same rule in every pack.
 */
export const NEVER_ACKNOWLEDGEABLE: readonly string[] = [
  // S3 public access and TLS
  'S2', 'S5', 'S10', 'S3BucketLevelPublicAccessProhibited', 'S3BucketPublicReadProhibited',
  'S3BucketPublicWriteProhibited', 'S3BucketSSLRequestsOnly',
  // storage encryption
  'RDS2', 'RDSStorageEncrypted', 'EC26', 'EC2EBSVolumeEncrypted', 'EFS1', 'EFSEncrypted', 'SQS2',
  'CloudWatchLogGroupEncrypted', 'CloudTrailEncryptionEnabled', 'SNSEncryptedKMS',
  // transport security and public endpoints
  'SQS4', 'SQSQueueSSLRequestsOnly', 'SNS3', 'SNSTopicSSLPublishOnly', 'MSK2', 'MSK3', 'MSKClientToBrokerTLS',
  'MSKBrokerToBrokerTLS', 'RDSInstancePublicAccess', 'LambdaFunctionPublicAccessProhibited', 'LambdaFunctionUrlAuth',
  // our own pack
  'LogGroupEncryptedWithRetention', 'NoSecretInLambdaEnvironment', 'ClassificationTag',
  'SecurityGroupInlineEgress', 'SecurityGroupNoOpenEgress', 'SecurityGroupIngressFromGroupOrPrefixList', 'VpcEndpointPolicy',
  'StatefulResourceRetained', 'RetainedResourceUniqueName', 'LambdaInVpc', 'LambdaFailureDestination', 'LambdaBoundedConcurrency',
  'LambdaEncryptedLogGroup',
];

/**
 * The same check in the published scanners that read raw templates (Checkov, cfn_nag), keyed by the rule part of a
 * cdk-nag id. An acknowledgement of such a rule is also written into the resource's template `Metadata` in the form
 * each scanner reads (`checkov.skip`, `cfn_nag.rules_to_suppress`), with the same reason, on the same one resource:
 * a reviewer running those tools sees the decision and its reason instead of an unexplained finding.
 */
export const TEMPLATE_SCANNER_EQUIVALENTS: Readonly<Record<string, { readonly checkov: readonly string[]; readonly cfnNag: readonly string[] }>> = {
  // "Lambda functions should have reserved concurrency" in all three tools.
  LambdaConcurrency: { checkov: ['CKV_AWS_115'], cfnNag: ['W92'] },
};

/** Reasons that say nothing, whatever their length. */
const BOILERPLATE = [/^(n\/?a|todo|tbd|fixme|none|not (needed|required|applicable)|false positive|suppress(ed)?|ignore(d)?|ok|fine|accepted|known issue)\.?$/i];

export interface Acknowledgement {
  /** Pack-qualified rule id, e.g. `HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled`. */
  readonly id: string;
  /** Construct path of the one resource acknowledged. */
  readonly path: string;
  readonly reason: string;
}

/**
 * Splits a rule id as cdk-nag reports it (`AwsSolutions-S1`, `AwsSolutions::AwsSolutions-S1`,
 * `AwsSolutions-IAM5[Resource::*]`) into its pack, its rule name and any finding qualifier.
 */
export function parseRuleId(ruleId: string): { pack: string; rule: string; finding?: string } {
  const trimmed = ruleId.trim();
  const qualifierAt = trimmed.indexOf('[');
  const head = qualifierAt === -1 ? trimmed : trimmed.slice(0, qualifierAt);
  const finding = qualifierAt === -1 ? undefined : trimmed.slice(qualifierAt);
  const bare = head.includes('::') ? head.slice(head.indexOf('::') + 2) : head;
  const pack = PACK_PREFIXES.find((p) => bare.startsWith(`${p}-`));
  if (!pack) {
    throw new Error(
      `acknowledge: "${ruleId}" is not a rule id of a known pack; use the id cdk-nag prints, e.g. "AwsSolutions-S1" or "HIPAA.Security-S3BucketReplicationEnabled"`,
    );
  }
  if (head.includes('::') && head.slice(0, head.indexOf('::')) !== pack) {
    throw new Error(`acknowledge: "${ruleId}" names pack "${head.slice(0, head.indexOf('::'))}" but the rule belongs to "${pack}"`);
  }
  return { pack, rule: bare.slice(pack.length + 1), ...(finding !== undefined ? { finding } : {}) };
}

/** The pack-qualified form cdk-nag prints after "Acknowledge with". */
export function qualifiedRuleId(ruleId: string): string {
  const { pack, rule, finding } = parseRuleId(ruleId);
  return `${pack}::${pack}-${rule}${finding ?? ''}`;
}

/**
 * Acknowledges one cdk-nag finding on one resource. `construct` is the L1 resource or an L2 whose default
 * child is the L1; the acknowledgement never reaches anything else. Throws when the scope is wider than one
 * resource, the reason is empty or boilerplate, or the rule must be fixed instead.
 */
export function acknowledge(construct: IConstruct, ruleId: string, reason: string): void {
  const resource = resolveResource(construct);
  const { rule } = parseRuleId(ruleId);
  if (NEVER_ACKNOWLEDGEABLE.includes(rule)) {
    throw new Error(
      `acknowledge: ${ruleId} on ${resource.node.path} cannot be acknowledged: it guards public access, TLS, encryption, network reach or the survival of data; fix the resource instead`,
    );
  }
  const why = (reason ?? '').trim();
  if (why.length < MIN_REASON_LENGTH || BOILERPLATE.some((b) => b.test(why))) {
    throw new Error(
      `acknowledge: ${ruleId} on ${resource.node.path} needs a reason of at least ${MIN_REASON_LENGTH} characters that says why the resource cannot be fixed (got "${why}")`,
    );
  }
  const id = qualifiedRuleId(ruleId);
  const existing = listOwnAcknowledgements(resource).find((a) => a.id === id);
  if (existing) {
    throw new Error(`acknowledge: ${id} is already acknowledged on ${resource.node.path}`);
  }
  resource.node.addMetadata(ACKNOWLEDGEMENT_METADATA, { id, reason: why });
  const equivalent = TEMPLATE_SCANNER_EQUIVALENTS[rule];
  if (equivalent) recordForTemplateScanners(resource, equivalent, why);
  if (!isAuditMode(resource)) {
    Validations.of(resource).acknowledge({ id, reason: why });
  }
}

/** Adds the scanners' own suppression entries to the resource's `Metadata`, once per scanner rule id. */
function recordForTemplateScanners(resource: CfnResource, ids: { readonly checkov: readonly string[]; readonly cfnNag: readonly string[] }, reason: string): void {
  const checkov = (resource.getMetadata('checkov') ?? {}) as { skip?: { id: string; comment: string }[] };
  const skip = [...(checkov.skip ?? [])];
  for (const id of ids.checkov) if (!skip.some((e) => e.id === id)) skip.push({ id, comment: reason });
  resource.addMetadata('checkov', { ...checkov, skip });
  const cfnNag = (resource.getMetadata('cfn_nag') ?? {}) as { rules_to_suppress?: { id: string; reason: string }[] };
  const suppress = [...(cfnNag.rules_to_suppress ?? [])];
  for (const id of ids.cfnNag) if (!suppress.some((e) => e.id === id)) suppress.push({ id, reason });
  resource.addMetadata('cfn_nag', { ...cfnNag, rules_to_suppress: suppress });
}

/** Every acknowledgement made through `acknowledge()` under `root`, sorted by path then id. */
export function listAcknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node
    .findAll()
    .flatMap(listOwnAcknowledgements)
    .sort((a, b) => a.path.localeCompare(b.path) || a.id.localeCompare(b.id));
}

function listOwnAcknowledgements(c: IConstruct): Acknowledgement[] {
  return c.node.metadata
    .filter((m) => m.type === ACKNOWLEDGEMENT_METADATA)
    .map((m) => {
      const data = m.data as { id: string; reason: string };
      return { id: data.id, reason: data.reason, path: c.node.path };
    });
}

function resolveResource(construct: IConstruct): CfnResource {
  if (construct instanceof App || Stage.isStage(construct) || Stack.isStack(construct)) {
    throw new Error(
      `acknowledge: ${construct.node.path || 'the app'} is an App, Stage or Stack; acknowledge on the one resource that has the finding`,
    );
  }
  if (CfnResource.isCfnResource(construct)) return construct;
  const child = construct.node.defaultChild;
  if (child && CfnResource.isCfnResource(child)) return child;
  throw new Error(
    `acknowledge: ${construct.node.path} is not a CloudFormation resource and has none as default child; pass the L1 resource (node.defaultChild or node.findChild('Resource'))`,
  );
}

function isAuditMode(scope: IConstruct): boolean {
  const v = scope.node.tryGetContext(AUDIT_ACKNOWLEDGEMENTS_CONTEXT);
  return v === true || v === 'true';
}
