/** The VPC: isolated tiers for data and compute, optional egress, flow logs, endpoints. No public ingress. */
import { Aws, Token } from 'aws-cdk-lib';
import {
  CfnFlowLog,
  CfnRoute,
  GatewayVpcEndpoint,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  IVpc,
  Peer,
  Port,
  SecurityGroup,
  SubnetConfiguration,
  SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { AnyPrincipal, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../../compliance/acknowledge';
import { describeValue, ProblemCollector } from '../../errors';
import { encryptedLogGroup } from '../common/log-group';
import { checkKey, checkLogRetention } from '../common/prop-checks';
import { ManagedPolicyRole } from '../common/managed-policy-role';
import { arnParts } from '../common/arn-parts';

export const DATA_SUBNETS = 'data';
export const COMPUTE_SUBNETS = 'compute';
export const EGRESS_SUBNETS = 'egress';
const NAT_SUBNETS = 'nat';

/** The interface endpoints every pipeline needs to reach AWS APIs without internet access. */
export const DEFAULT_INTERFACE_ENDPOINTS: Readonly<Record<string, InterfaceVpcEndpointAwsService>> = {
  SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Kms: InterfaceVpcEndpointAwsService.KMS,
  Logs: InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  Sts: InterfaceVpcEndpointAwsService.STS,
  Sqs: InterfaceVpcEndpointAwsService.SQS,
  Sns: InterfaceVpcEndpointAwsService.SNS,
  Lambda: InterfaceVpcEndpointAwsService.LAMBDA,
  XRay: InterfaceVpcEndpointAwsService.XRAY,
  Monitoring: InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  // The MSK control plane: deploy-time lookup of the cluster's bootstrap brokers.
  Kafka: InterfaceVpcEndpointAwsService.KAFKA,
};

export interface SecureNetworkProps {
  /** Encrypts the flow log group (DataKeys.audit). */
  readonly logKey: IKey;
  /** Flow log retention in days (a value CloudWatch Logs accepts). */
  readonly flowLogRetentionDays: number;
  /** Availability zones. @default 2 */
  readonly azCount?: number;
  /** VPC CIDR. @default '10.40.0.0/16' */
  readonly cidr?: string;
  /**
   * Create an egress tier (private subnets routed through NAT) for functions that call the internet.
   * NAT gateways need a public subnet tier, which then holds only the NAT gateways. @default false
   */
  readonly egress?: boolean;
  /** NAT gateways when `egress` is on. @default 1 */
  readonly natGateways?: number;
  /**
   * A VPC you manage. It must have isolated subnet groups named `data` and `compute` (or pass the selections);
   * its flow logs and endpoints stay yours: none are added. @default a new VPC
   */
  readonly existingVpc?: IVpc;
  /** With `existingVpc`: its subnets for data stores. @default subnet group `data` */
  readonly dataSubnets?: SubnetSelection;
  /** With `existingVpc`: its subnets for functions. @default subnet group `compute` */
  readonly computeSubnets?: SubnetSelection;
  /** With `existingVpc`: its subnets routed to the internet through NAT. @default subnet group `egress`, when it has one */
  readonly egressSubnets?: SubnetSelection;
  /** Interface endpoints beyond the defaults, by construct id. @default none */
  readonly additionalInterfaceEndpoints?: Readonly<Record<string, InterfaceVpcEndpointAwsService>>;
}

export class SecureNetwork extends Construct {
  public readonly vpc: IVpc;
  public readonly dataSubnets: SubnetSelection;
  public readonly computeSubnets: SubnetSelection;
  /** Subnets with a route to the internet through NAT; undefined when no egress tier exists. */
  public readonly egressSubnets?: SubnetSelection;
  /** Security group of the interface endpoints (443 from inside the VPC only); undefined for an existing VPC. */
  public readonly endpointSecurityGroup?: SecurityGroup;
  public readonly flowLogGroup?: ILogGroup;
  public readonly s3Endpoint?: GatewayVpcEndpoint;
  public readonly dynamoDbEndpoint?: GatewayVpcEndpoint;
  private readonly cidr?: string;
  private bucketStatementCount = 0;

  constructor(scope: Construct, id: string, props: SecureNetworkProps) {
    super(scope, id);
    const problems = new ProblemCollector(`SecureNetwork ${this.node.path}`);
    problems.checkPropsObject(props);
    checkNetworkProps(props, problems);
    const azCount = props.azCount ?? 2;
    const natGateways = props.natGateways ?? 1;
    if (!Number.isInteger(azCount) || azCount < 2 || azCount > 6) {
      problems.add('azCount', `${describeValue(azCount)} availability zones`, 'use 2 to 6 so data stores can fail over');
    }
    // Type and range are checked in checkNetworkProps; here only the count against the zones.
    if (props.egress === true && Number.isInteger(azCount) && Number.isInteger(natGateways) && natGateways >= 1 && natGateways > azCount) {
      problems.add('natGateways', `${describeValue(natGateways)} NAT gateways for ${describeValue(azCount)} zones`, `use 1 to ${describeValue(azCount)}`);
    }
    if (props.existingVpc) {
      for (const p of ['cidr', 'egress', 'natGateways', 'azCount', 'additionalInterfaceEndpoints'] as const) {
        if (props[p] !== undefined) {
          problems.add(p, 'is set together with existingVpc, which it cannot change', `remove ${p} or create the VPC here`);
        }
      }
    } else {
      if (props.dataSubnets || props.computeSubnets || props.egressSubnets) {
        problems.add('dataSubnets/computeSubnets/egressSubnets', 'only apply to existingVpc', 'remove them; the new VPC names its own tiers');
      }
      const cidr = props.cidr ?? '10.40.0.0/16';
      const m = typeof cidr === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr) : null;
      if (Token.isUnresolved(cidr) || !m || Number(m[5]) < 16 || Number(m[5]) > 20 || m.slice(1, 5).some((o) => Number(o) > 255)) {
        problems.add('cidr', `${describeValue(cidr)} is not a literal IPv4 CIDR of size /16 to /20`, 'pass a literal such as "10.40.0.0/16"');
      }
    }
    problems.throwIfAny();

    if (props.existingVpc) {
      this.vpc = props.existingVpc;
      this.dataSubnets = props.dataSubnets ?? { subnetGroupName: DATA_SUBNETS };
      this.computeSubnets = props.computeSubnets ?? { subnetGroupName: COMPUTE_SUBNETS };
      const egress = props.egressSubnets ?? { subnetGroupName: EGRESS_SUBNETS };
      if (props.egressSubnets || hasSubnets(props.existingVpc, egress)) this.egressSubnets = egress;
      return;
    }

    this.cidr = props.cidr ?? '10.40.0.0/16';
    const tiers: SubnetConfiguration[] = [
      { name: DATA_SUBNETS, subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      { name: COMPUTE_SUBNETS, subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
    ];
    if (props.egress) {
      tiers.push(
        { name: EGRESS_SUBNETS, subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: NAT_SUBNETS, subnetType: SubnetType.PUBLIC, cidrMask: 28, mapPublicIpOnLaunch: false },
      );
    }
    const vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr(this.cidr),
      maxAzs: azCount,
      natGateways: props.egress ? natGateways : 0,
      subnetConfiguration: tiers,
      restrictDefaultSecurityGroup: true,
      createInternetGateway: props.egress === true,
    });
    this.vpc = vpc;
    this.dataSubnets = { subnetGroupName: DATA_SUBNETS };
    this.computeSubnets = { subnetGroupName: COMPUTE_SUBNETS };
    if (props.egress) {
      this.egressSubnets = { subnetGroupName: EGRESS_SUBNETS };
      for (const subnet of vpc.publicSubnets) {
        const route = subnet.node.findChild('DefaultRoute') as CfnRoute;
        for (const pack of ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321']) {
          acknowledge(route, `${pack}-VPCNoUnrestrictedRouteToIGW`,
            'This subnet holds only a NAT gateway (no public IPs are assigned): its default route to the internet gateway is what carries the egress tier\'s outbound NAT traffic');
        }
      }
    }

    this.flowLogGroup = this.addFlowLogs(vpc, props.logKey, props.flowLogRetentionDays);
    this.endpointSecurityGroup = new SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'Interface endpoints: HTTPS from inside the VPC only',
      allowAllOutbound: false,
    });
    // A literal CIDR, not vpc.vpcCidrBlock: rules must be able to read the peer at synth time.
    this.endpointSecurityGroup.addIngressRule(Peer.ipv4(this.cidr), Port.tcp(443), 'HTTPS from inside the VPC');
    const endpoints = { ...DEFAULT_INTERFACE_ENDPOINTS, ...props.additionalInterfaceEndpoints };
    for (const [name, service] of Object.entries(endpoints)) {
      new InterfaceVpcEndpoint(this, `${name}Endpoint`, {
        vpc,
        service,
        privateDnsEnabled: true,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
        subnets: this.computeSubnets,
      });
    }
    const gatewaySubnets = [this.dataSubnets, this.computeSubnets, ...(this.egressSubnets ? [this.egressSubnets] : [])];
    this.s3Endpoint = vpc.addGatewayEndpoint('S3Endpoint', { service: GatewayVpcEndpointAwsService.S3, subnets: gatewaySubnets });
    this.dynamoDbEndpoint = vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: GatewayVpcEndpointAwsService.DYNAMODB, subnets: gatewaySubnets });
  }

  /** The literal CIDR of the VPC this construct created (undefined for an existing VPC). */
  public get vpcCidr(): string | undefined {
    return this.cidr;
  }

  /**
   * Limits the S3 gateway endpoint to the given buckets, for principals of this account. The first call
   * replaces the endpoint's default allow-all policy; later calls add buckets.
   */
  public allowBucketsThroughEndpoint(...buckets: IBucket[]): void {
    if (!this.s3Endpoint || buckets.length === 0) return;
    if (this.bucketStatementCount === 0) {
      // Functions that back custom resources answer CloudFormation through a pre-signed URL in its response buckets.
      this.s3Endpoint.addToPolicy(new PolicyStatement({
        sid: 'CloudFormationCustomResourceResponses',
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::cloudformation-custom-resource-response-*/*`],
        conditions: { StringEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } },
      }));
    }
    this.s3Endpoint.addToPolicy(new PolicyStatement({
      sid: `Buckets${this.bucketStatementCount++}`,
      principals: [new AnyPrincipal()],
      actions: ['s3:GetObject*', 's3:PutObject*', 's3:ListBucket*', 's3:GetBucketLocation', 's3:DeleteObject*', 's3:AbortMultipartUpload'],
      resources: buckets.flatMap((b) => [b.bucketArn, b.arnForObjects('*')]),
      conditions: { StringEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } },
    }));
  }

  private addFlowLogs(vpc: Vpc, key: IKey, retentionDays: number): ILogGroup {
    const logGroup = encryptedLogGroup(this, 'FlowLogGroup', { key, retentionDays });
    const { partition, region, account } = arnParts(this);
    const role = new ManagedPolicyRole(this, 'FlowLogRole', {
      assumedBy: new ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': `arn:${partition}:ec2:${region}:${account}:vpc-flow-log/*` },
      }),
      description: 'Lets VPC Flow Logs write to its encrypted log group',
    });
    role.addToPrincipalPolicy(new PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      // The log group's Arn attribute already ends in ':*', which covers its streams.
      resources: [logGroup.logGroupArn],
    }));
    const flowLog = new CfnFlowLog(this, 'FlowLog', {
      resourceId: vpc.vpcId,
      resourceType: 'VPC',
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logGroupName: logGroup.logGroupName,
      deliverLogsPermissionArn: role.roleArn,
      maxAggregationInterval: 60,
    });
    flowLog.node.addDependency(role.policy);
    return logGroup;
  }
}

function hasSubnets(vpc: IVpc, selection: SubnetSelection): boolean {
  try {
    return vpc.selectSubnets(selection).subnetIds.length > 0;
  } catch {
    return false;
  }
}

/**
 * Props a JavaScript caller can get wrong in ways the checks above would misread: a truthy non-boolean `egress`,
 * a missing or non-key `logKey`, a retention CloudWatch Logs refuses, endpoint names that are not construct ids.
 * (The CIDR and existingVpc checks live in the constructor.)
 */
function checkNetworkProps(props: SecureNetworkProps, problems: ProblemCollector): void {
  problems.checkBoolean('egress', props.egress);
  if (props.existingVpc !== undefined) return;
  checkLogRetention(problems, 'flowLogRetentionDays', props.flowLogRetentionDays);
  // Checked even without egress: a careless value is wrong whether or not it is used yet.
  problems.checkInteger('natGateways', props.natGateways, { min: 1, max: 6 });
  checkKey(problems, 'logKey', props.logKey, 'pass DataKeys.audit (the flow log group is encrypted with it)');
  const extra: unknown = props.additionalInterfaceEndpoints;
  if (extra === undefined) return;
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    problems.add('additionalInterfaceEndpoints', `${describeValue(extra)} is not an object of endpoints by name`, 'pass { Name: InterfaceVpcEndpointAwsService.X }');
    return;
  }
  for (const [name, service] of Object.entries(extra)) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) || Object.hasOwn(DEFAULT_INTERFACE_ENDPOINTS, name)) {
      problems.add(`additionalInterfaceEndpoints.${name}`, 'is not a free endpoint name', `use letters and digits, other than ${Object.keys(DEFAULT_INTERFACE_ENDPOINTS).join(', ')}`);
    }
    if (!(service instanceof InterfaceVpcEndpointAwsService)) {
      problems.add(`additionalInterfaceEndpoints.${name}`, `${describeValue(service)} is not an InterfaceVpcEndpointAwsService`, 'use InterfaceVpcEndpointAwsService.X');
    }
  }
}
