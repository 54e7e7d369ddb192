/**
 * The AWS APIs the pipeline reaches from its VPC: which interface endpoints exist, the name private DNS answers for
 * each (the DNS firewall allows exactly these), and what each endpoint policy admits.
 */
import { IInterfaceVpcEndpointService, InterfaceVpcEndpointAwsService, InterfaceVpcEndpointService } from 'aws-cdk-lib/aws-ec2';
import { AnyPrincipal, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';

export interface InterfaceEndpointSpec {
  readonly service: IInterfaceVpcEndpointService;
  /** The host name private DNS resolves to the endpoint; the DNS firewall lets it resolve. */
  readonly privateDnsName: string;
  /**
   * Whether the endpoint policy also requires `aws:ResourceAccount` = this account. Off only where the service's
   * calls carry no resource of another account: X-Ray segments and CloudWatch metrics always land in the caller's
   * own account, so the principal condition already keeps them in it.
   */
  readonly resourceAccountCondition: boolean;
  /** Statements beyond "this account's principals" (AWS services calling from the VPC, AWS-owned resources). */
  readonly extraStatements?: (account: string) => PolicyStatement[];
}

/**
 * Lambda's event source pollers for MSK run in the cluster's security group and call STS and Lambda through the
 * VPC's endpoints as the Lambda service principal; AWS documents `"Resource": "*"` for these two statements
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-cluster-network.html#msk-vpc-privatelink).
 */
function lambdaPollers(action: string): () => PolicyStatement[] {
  return () => [new PolicyStatement({
    sid: 'LambdaEventSourcePollers',
    principals: [new ServicePrincipal('lambda.amazonaws.com')],
    actions: [action],
    resources: ['*'],
  })];
}

/**
 * The MSK control plane. `com.amazonaws.<region>.kafka` no longer accepts new endpoint connections; the dual-stack
 * `aws.api.<region>.kafka-api` replaces it (https://docs.aws.amazon.com/msk/latest/developerguide/privatelink-vpc-endpoints.html).
 * With `useDualstackEndpoint`, the SDK's endpoint rules for Kafka resolve `kafka-api.<region>.api.aws` (the host
 * test/lambda/msk-bootstrap/endpoint.test.ts records): that is the name the DNS firewall lets resolve.
 */
export function mskApiEndpointService(region: string): IInterfaceVpcEndpointService {
  return new InterfaceVpcEndpointService(`aws.api.${region}.kafka-api`, 443);
}

function awsService(service: InterfaceVpcEndpointAwsService, region: string, resourceAccountCondition = true,
  extraStatements?: InterfaceEndpointSpec['extraStatements']): InterfaceEndpointSpec {
  return { service, privateDnsName: `${service.shortName}.${region}.amazonaws.com`, resourceAccountCondition, ...(extraStatements ? { extraStatements } : {}) };
}

/** The interface endpoints every pipeline needs, by construct id. */
export function defaultInterfaceEndpoints(region: string): Readonly<Record<string, InterfaceEndpointSpec>> {
  return {
    SecretsManager: awsService(InterfaceVpcEndpointAwsService.SECRETS_MANAGER, region),
    Kms: awsService(InterfaceVpcEndpointAwsService.KMS, region),
    Logs: awsService(InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS, region),
    Sts: awsService(InterfaceVpcEndpointAwsService.STS, region, true, lambdaPollers('sts:AssumeRole')),
    Sqs: awsService(InterfaceVpcEndpointAwsService.SQS, region),
    Sns: awsService(InterfaceVpcEndpointAwsService.SNS, region),
    Lambda: awsService(InterfaceVpcEndpointAwsService.LAMBDA, region, true, lambdaPollers('lambda:InvokeFunction')),
    XRay: awsService(InterfaceVpcEndpointAwsService.XRAY, region, false),
    Monitoring: awsService(InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING, region, false),
    // The network's deploy-time function: the S3 prefix-list lookup and closing the default security group.
    // DescribeManagedPrefixLists reads AWS-owned prefix lists, so it is admitted without the resource condition.
    Ec2: awsService(InterfaceVpcEndpointAwsService.EC2, region, true, (account) => [new PolicyStatement({
      sid: 'DescribeAwsManagedPrefixLists',
      principals: [new AnyPrincipal()],
      actions: ['ec2:DescribeManagedPrefixLists'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:PrincipalAccount': account } },
    })]),
    // GuardDuty's deploy-time function: adopting or creating the detector, creating malware protection plans
    // (com.amazonaws.<region>.guardduty; https://docs.aws.amazon.com/guardduty/latest/ug/security-vpc-endpoints.html).
    GuardDuty: awsService(InterfaceVpcEndpointAwsService.GUARDDUTY, region),
    // The MSK control plane: deploy-time lookup of the cluster's bootstrap brokers.
    Kafka: { service: mskApiEndpointService(region), privateDnsName: `kafka-api.${region}.api.aws`, resourceAccountCondition: true },
  };
}

/** An endpoint for a service beyond the defaults: its standard name, both account conditions. */
export function additionalInterfaceEndpoint(service: InterfaceVpcEndpointAwsService, region: string): InterfaceEndpointSpec {
  return awsService(service, region);
}

/**
 * The statement every endpoint policy starts with: principals of this account only, and (where the spec says so)
 * resources of this account only, so a compromised function cannot hand data to another account through the
 * endpoint, and credentials of another account cannot be used through it.
 */
export function accountStatement(account: string, resourceAccount: boolean): PolicyStatement {
  return new PolicyStatement({
    sid: resourceAccount ? 'AccountPrincipalsOnAccountResources' : 'AccountPrincipals',
    principals: [new AnyPrincipal()],
    actions: ['*'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:PrincipalAccount': account, ...(resourceAccount ? { 'aws:ResourceAccount': account } : {}) } },
  });
}
