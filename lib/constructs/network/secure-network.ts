/** The VPC: isolated tiers for data and compute, optional egress, flow logs, endpoints, DNS firewall. No public ingress. */
import { Annotations, CfnRule, Fn, Lazy, Stack, Token } from 'aws-cdk-lib';
import {
  CfnFlowLog,
  CfnRoute,
  CfnSubnet,
  GatewayVpcEndpoint,
  GatewayVpcEndpointAwsService,
  IConnectable,
  InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  ISecurityGroup,
  ISubnet,
  IVpc,
  Peer,
  Port,
  SecurityGroup,
  SubnetConfiguration,
  SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { CfnWaitConditionHandle } from 'aws-cdk-lib/aws-cloudformation';
import { AnyPrincipal, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../../compliance/acknowledge';
import { MSK_UNSUPPORTED_ZONE_IDS, Profile, regionOfZoneIdPrefix, regionZoneProblems, validateProfile, ZONE_IDS_CONTEXT, zoneIdProblems } from '../../config';
import { ConfigurationError, describeValue, ProblemCollector } from '../../errors';
import { arnParts } from '../common/arn-parts';
import { encryptedLogGroup } from '../common/log-group';
import { checkInstance, checkKey, checkLogRetention } from '../common/prop-checks';
import { ManagedPolicyRole } from '../common/managed-policy-role';
import { ENDPOINT_TIER, ISOLATED_TIER, tieredSecurityGroup } from '../common/security-group';
import { DataKeys } from '../keys/data-keys';
import { accountStatement, additionalInterfaceEndpoint, defaultInterfaceEndpoints, InterfaceEndpointSpec } from './aws-endpoints';
import { networkOf, parseCidr, smallestPrefixFor, TierSize } from './cidr-plan';
import { DnsFirewall, domainProblem, isIpLiteral } from './dns-firewall';
import { NetworkCustomResources, regionWithoutDashes } from './network-custom-resources';

export const DATA_SUBNETS = 'data';
export const COMPUTE_SUBNETS = 'compute';
export const EGRESS_SUBNETS = 'egress';
const NAT_SUBNETS = 'nat';

/** Subnet size of each tier, per availability zone. */
export const TIER_MASKS = { data: 24, compute: 22, egress: 22, nat: 28 } as const;

/** The tiers of a new VPC in the order CDK allocates them. */
export function tierLayout(egress: boolean): TierSize[] {
  return [
    { name: DATA_SUBNETS, mask: TIER_MASKS.data },
    { name: COMPUTE_SUBNETS, mask: TIER_MASKS.compute },
    ...(egress ? [{ name: EGRESS_SUBNETS, mask: TIER_MASKS.egress }, { name: NAT_SUBNETS, mask: TIER_MASKS.nat }] : []),
  ];
}

/** The largest VPC AWS allows. */
const LARGEST_VPC_PREFIX = 16;
const PREFIX_LIST_ID = /^pl-[0-9a-f]{8,17}$/;

export interface SecureNetworkProps {
  /** Encrypts the flow log group (DataKeys.audit). */
  readonly logKey: IKey;
  /** Flow log retention in days (a value CloudWatch Logs accepts). */
  readonly flowLogRetentionDays: number;
  /**
   * Keys and profile of the network's deploy-time function (S3 prefix-list lookup, closing the default security
   * group). Without both, the network has no such function: the default security group keeps its rules (the packs
   * report it) and, without `s3PrefixListId`, isolated functions cannot reach S3. @default no deploy-time function
   */
  readonly keys?: DataKeys;
  readonly profile?: Profile;
  /** Availability zones. @default 2 */
  readonly azCount?: number;
  /**
   * Zone IDs (e.g. `use1-az1`) to place the subnets in, one per zone (`azCount` of them), all of the stack's region.
   * Zone names map to physical zones differently in each account; IDs do not, so this is how to keep the data tier
   * out of zones MSK cannot use (use1-az3). Refused: malformed or repeated IDs, IDs of another region, zones MSK does
   * not support. An env-agnostic template with IDs gets a rule that refuses other regions than theirs. Without IDs,
   * an env-agnostic stack gets a template rule that fails the deploy in a region where MSK excludes a zone, and a
   * stack whose region is known at synth is refused there. Choose before the first deploy: switching a deployed VPC
   * between names and IDs replaces its subnets. @default zones picked by name (Fn::GetAZs)
   */
  readonly availabilityZoneIds?: readonly string[];
  /**
   * VPC CIDR: a literal network address, large enough for the tiers (data /24, compute /22, egress /22 and nat /28
   * per zone). @default '10.40.0.0/16'
   */
  readonly cidr?: string;
  /**
   * Create an egress tier (private subnets routed through NAT) for functions that call the internet.
   * NAT gateways need a public subnet tier, which then holds only the NAT gateways. @default false
   */
  readonly egress?: boolean;
  /** NAT gateways when `egress` is on. @default 1 */
  readonly natGateways?: number;
  /**
   * Host names the egress-tier functions call (the datasets' source and token URLs). With the AWS names the
   * pipeline needs, they are the only names the VPC's DNS firewall lets resolve. @default none
   */
  readonly egressDomains?: readonly string[];
  /**
   * The region's AWS-managed S3 prefix list (`aws ec2 describe-managed-prefix-lists --filters
   * Name=prefix-list-name,Values=com.amazonaws.<region>.s3`). Isolated functions reach S3 through the gateway endpoint
   * with 443 to this list. @default looked up at deploy time when the network has an egress tier, keys and profile
   */
  readonly s3PrefixListId?: string;
  /**
   * A VPC you manage. It must have private subnet groups named `data` and `compute` (or pass the selections); its
   * flow logs, endpoints, DNS firewall and default security group stay yours: none are added or changed.
   * @default a new VPC
   */
  readonly existingVpc?: IVpc;
  /** With `existingVpc`: its subnets for data stores (private, no route to an internet gateway). @default subnet group `data` */
  readonly dataSubnets?: SubnetSelection;
  /** With `existingVpc`: its subnets for functions (private). @default subnet group `compute` */
  readonly computeSubnets?: SubnetSelection;
  /** With `existingVpc`: its private subnets routed to the internet through NAT. @default subnet group `egress`, when it has one */
  readonly egressSubnets?: SubnetSelection;
  /**
   * With `existingVpc`: the security group of its interface endpoints (Secrets Manager, KMS, STS, ...). The network
   * admits its functions to it on 443; without it, functions in the VPC are refused (they could reach no AWS API).
   * @default none
   */
  readonly existingEndpointSecurityGroup?: ISecurityGroup;
  /** Interface endpoints beyond the defaults, by construct id (each gets the account-scoped endpoint policy). @default none */
  readonly additionalInterfaceEndpoints?: Readonly<Record<string, InterfaceVpcEndpointAwsService>>;
}

export class SecureNetwork extends Construct {
  public readonly vpc: IVpc;
  public readonly dataSubnets: SubnetSelection;
  public readonly computeSubnets: SubnetSelection;
  /** Subnets with a route to the internet through NAT; undefined when no egress tier exists. */
  public readonly egressSubnets?: SubnetSelection;
  /**
   * Security group of the interface endpoints: 443 in from the groups given endpoint access (the shared API-client
   * group, rotation, MSK pollers), nothing else. Undefined for an existing VPC without `existingEndpointSecurityGroup`.
   */
  public readonly endpointSecurityGroup?: ISecurityGroup;
  /** Carried by every PipelineFunction: 443 to the interface endpoints, which admit it. */
  public readonly awsApiClientSecurityGroup?: SecurityGroup;
  /** Carried by every PipelineFunction once the S3 prefix list is known: 443 to S3 (gateway endpoint) only. */
  public readonly s3ClientSecurityGroup?: SecurityGroup;
  /** The region's S3 prefix list: the prop, the deploy-time lookup, or undefined. */
  public readonly s3PrefixListId?: string;
  public readonly interfaceEndpoints: Readonly<Record<string, InterfaceVpcEndpoint>>;
  /** Undefined for an existing VPC. */
  public readonly dnsFirewall?: DnsFirewall;
  /** The names the VPC's DNS firewall lets resolve; for an existing VPC, what to give your own `DnsFirewall`. */
  public readonly dnsFirewallDomains: readonly string[];
  /** The deploy-time function and its custom resources; undefined when the network has none (see `keys`). */
  public readonly customResources?: NetworkCustomResources;
  public readonly flowLogGroup?: ILogGroup;
  public readonly s3Endpoint?: GatewayVpcEndpoint;
  public readonly dynamoDbEndpoint?: GatewayVpcEndpoint;
  private readonly cidr?: string;
  private bucketStatementCount = 0;
  /**
   * No-op resources that stand for "the AWS APIs are reachable" and "S3 is reachable": each depends on the
   * endpoints or groups (with their rules) behind it, and functions depend on these two only, instead of every
   * function listing every endpoint and rule in its DependsOn (template size grows with the number of functions).
   */
  private readonly awsApisReady: CfnWaitConditionHandle;
  private s3Ready?: CfnWaitConditionHandle;

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
    if ((props.keys === undefined) !== (props.profile === undefined)) {
      problems.add(props.keys ? 'profile' : 'keys', 'is missing while its pair is set', 'pass both keys and profile (they run the network\'s deploy-time function), or neither');
    }
    if (props.s3PrefixListId !== undefined && (typeof props.s3PrefixListId !== 'string'
      || !Token.isUnresolved(props.s3PrefixListId) && !PREFIX_LIST_ID.test(props.s3PrefixListId))) {
      problems.add('s3PrefixListId', `${describeValue(props.s3PrefixListId)} is not a prefix list id`, 'pass the pl-… id of com.amazonaws.<region>.s3 from aws ec2 describe-managed-prefix-lists');
    }
    if (props.keys !== undefined) checkInstance(problems, 'keys', props.keys, DataKeys, 'pass the DataKeys of the stack');
    if (props.profile !== undefined) problems.collect(() => validateProfile(props.profile, 'profile'));
    const egressDomains: unknown = props.egressDomains;
    if (egressDomains !== undefined && !Array.isArray(egressDomains)) {
      problems.add('egressDomains', `${describeValue(egressDomains)} is not a list of host names`, "pass the hosts of the sources and token URLs, e.g. ['api.example.com']");
    } else {
      // IP literals never reach DNS (they are left out of the firewall); every name must be one a firewall can allow.
      for (const domain of (egressDomains ?? []) as unknown[]) {
        const refused = typeof domain === 'string' && isIpLiteral(domain) ? undefined : domainProblem(domain);
        if (refused) problems.add('egressDomains', refused.problem, refused.fix);
      }
    }
    const endpointGroup: unknown = props.existingEndpointSecurityGroup;
    if (endpointGroup !== undefined && typeof (endpointGroup as Partial<ISecurityGroup> | null)?.securityGroupId !== 'string') {
      problems.add('existingEndpointSecurityGroup', `${describeValue(endpointGroup)} is not a security group`, 'pass SecurityGroup.fromSecurityGroupId(this, id, sg-…) of your interface endpoints');
    }
    const existingVpc: unknown = props.existingVpc;
    if (existingVpc !== undefined && typeof (existingVpc as Partial<IVpc> | null)?.selectSubnets !== 'function') {
      problems.add('existingVpc', `${describeValue(existingVpc)} is not a VPC`, 'pass an ec2.IVpc (e.g. Vpc.fromLookup or Vpc.fromVpcAttributes)');
      problems.throwIfAny();
    }
    if (props.existingVpc) {
      for (const p of ['cidr', 'egress', 'natGateways', 'azCount', 'additionalInterfaceEndpoints', 'availabilityZoneIds'] as const) {
        if (props[p] !== undefined) {
          problems.add(p, 'is set together with existingVpc, which it cannot change', `remove ${p} or create the VPC here`);
        }
      }
      checkExistingSubnets(props.existingVpc, props, problems);
    } else {
      for (const p of ['dataSubnets', 'computeSubnets', 'egressSubnets', 'existingEndpointSecurityGroup'] as const) {
        if (props[p] !== undefined) problems.add(p, 'only applies to existingVpc', 'remove it; the new VPC has its own tiers and endpoints');
      }
      // The layout is computed per zone: a careless count (reported above) is read as the smallest, 2.
      const zones = Number.isInteger(azCount) && azCount >= 2 && azCount <= 6 ? azCount : 2;
      checkCidr(props.cidr ?? '10.40.0.0/16', zones, props.egress === true, problems);
      checkZones(this, props.availabilityZoneIds, zones, problems);
    }
    problems.throwIfAny();

    const { region, account, partition } = arnParts(this);
    const endpointSpecs: Record<string, InterfaceEndpointSpec> = { ...defaultInterfaceEndpoints(region) };
    for (const [name, service] of Object.entries(props.additionalInterfaceEndpoints ?? {})) {
      endpointSpecs[name] = additionalInterfaceEndpoint(service, region);
    }
    const responseBucket = cloudFormationResponseBucket(this);
    this.dnsFirewallDomains = [
      ...Object.values(endpointSpecs).map((spec) => spec.privateDnsName),
      // S3 and DynamoDB through their gateway endpoints, whose policies admit this account's buckets and tables only.
      `s3.${region}.amazonaws.com`, `*.s3.${region}.amazonaws.com`, `dynamodb.${region}.amazonaws.com`,
      // CloudFormation's pre-signed response URLs use any of these forms of the regional response bucket.
      `${responseBucket}.s3.amazonaws.com`, `${responseBucket}.s3-${region}.amazonaws.com`, `${responseBucket}.s3.${region}.amazonaws.com`,
      // The data stores' own names: MSK brokers and RDS instances. Security groups admit only our cluster and
      // instance on their ports, and egress-tier functions may leave on 443 only, which neither service listens on.
      `*.kafka.${region}.amazonaws.com`, `*.${region}.rds.amazonaws.com`,
      ...(props.egressDomains ?? []).filter((host) => !isIpLiteral(host)),
    ];

    this.awsApisReady = new CfnWaitConditionHandle(this, 'AwsApisReady');
    if (props.existingVpc) {
      this.vpc = props.existingVpc;
      this.dataSubnets = props.dataSubnets ?? { subnetGroupName: DATA_SUBNETS };
      this.computeSubnets = props.computeSubnets ?? { subnetGroupName: COMPUTE_SUBNETS };
      const egress = props.egressSubnets ?? { subnetGroupName: EGRESS_SUBNETS };
      if (props.egressSubnets || hasSubnets(props.existingVpc, egress)) this.egressSubnets = egress;
      this.interfaceEndpoints = {};
      if (props.existingEndpointSecurityGroup) {
        this.endpointSecurityGroup = props.existingEndpointSecurityGroup;
        this.awsApiClientSecurityGroup = this.addAwsApiClientGroup();
      }
      if (props.s3PrefixListId) {
        this.s3PrefixListId = props.s3PrefixListId;
        this.s3ClientSecurityGroup = this.addS3ClientGroup(props.s3PrefixListId);
      }
      return;
    }

    this.cidr = props.cidr ?? '10.40.0.0/16';
    const tiers: SubnetConfiguration[] = [
      { name: DATA_SUBNETS, subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: TIER_MASKS.data },
      { name: COMPUTE_SUBNETS, subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: TIER_MASKS.compute },
    ];
    if (props.egress) {
      tiers.push(
        { name: EGRESS_SUBNETS, subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: TIER_MASKS.egress },
        { name: NAT_SUBNETS, subnetType: SubnetType.PUBLIC, cidrMask: TIER_MASKS.nat, mapPublicIpOnLaunch: false },
      );
    }
    // With zone IDs, each zone is a token for its first subnet's AvailabilityZone attribute: CDK groups subnets and
    // places NAT gateways by these strings, and anything reading a subnet's zone gets the real name at deploy time.
    const zoneIds = props.availabilityZoneIds;
    const anchors: CfnSubnet[] = [];
    const vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr(this.cidr),
      ...(zoneIds
        ? { availabilityZones: zoneIds.map((_, i) => Lazy.string({ produce: () => anchors[i].attrAvailabilityZone })) }
        : { maxAzs: azCount }),
      natGateways: props.egress ? natGateways : 0,
      subnetConfiguration: tiers,
      // CDK's helper is an unhardened function outside the VPC; NetworkCustomResources closes the group instead.
      restrictDefaultSecurityGroup: false,
      createInternetGateway: props.egress === true,
    });
    this.vpc = vpc;
    if (zoneIds) {
      placeByZoneId(vpc, zoneIds, anchors);
      guardZoneIdRegion(this, zoneIds);
    }
    else guardZonesAtDeploy(this);
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
    this.endpointSecurityGroup = tieredSecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'Interface endpoints: HTTPS from the security groups given endpoint access only',
      tier: ENDPOINT_TIER,
    });
    this.awsApiClientSecurityGroup = this.addAwsApiClientGroup();
    const interfaceEndpoints: Record<string, InterfaceVpcEndpoint> = {};
    for (const [name, spec] of Object.entries(endpointSpecs)) {
      const endpoint = new InterfaceVpcEndpoint(this, `${name}Endpoint`, {
        vpc,
        service: spec.service,
        privateDnsEnabled: true,
        securityGroups: [this.endpointSecurityGroup],
        // open: false keeps CDK from admitting the whole VPC CIDR; allowEndpointAccess admits groups one by one.
        open: false,
        subnets: this.computeSubnets,
      });
      endpoint.addToPolicy(accountStatement(account, spec.resourceAccountCondition));
      for (const statement of spec.extraStatements?.(account) ?? []) endpoint.addToPolicy(statement);
      interfaceEndpoints[name] = endpoint;
    }
    this.interfaceEndpoints = interfaceEndpoints;
    this.awsApisReady.node.addDependency(...Object.values(interfaceEndpoints));

    const gatewaySubnets = [this.dataSubnets, this.computeSubnets, ...(this.egressSubnets ? [this.egressSubnets] : [])];
    this.s3Endpoint = vpc.addGatewayEndpoint('S3Endpoint', { service: GatewayVpcEndpointAwsService.S3, subnets: gatewaySubnets });
    // CloudFormation pre-signs custom-resource response URLs with its own credentials, not this account's, so the
    // PUT to its regional response bucket is admitted without the account condition, and only there
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-vpce-bucketnames.html).
    this.s3Endpoint.addToPolicy(new PolicyStatement({
      sid: 'CloudFormationCustomResourceResponses',
      principals: [new AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [`arn:${partition}:s3:::${responseBucket}/*`],
    }));
    this.dynamoDbEndpoint = vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: GatewayVpcEndpointAwsService.DYNAMODB, subnets: gatewaySubnets });
    this.dynamoDbEndpoint.addToPolicy(accountStatement(account, true));
    this.awsApisReady.node.addDependency(this.s3Endpoint, this.dynamoDbEndpoint);

    this.dnsFirewall = new DnsFirewall(this, 'DnsFirewall', { vpc, allowedDomains: this.dnsFirewallDomains });

    if (props.s3PrefixListId) {
      this.s3PrefixListId = props.s3PrefixListId;
      this.s3ClientSecurityGroup = this.addS3ClientGroup(props.s3PrefixListId);
    }
    if (props.keys && props.profile && (props.s3PrefixListId || props.egress)) {
      // Built before a looked-up S3 client group exists, so the function does not carry (and wait for) the group
      // whose rule waits for its own answer.
      this.customResources = new NetworkCustomResources(this, 'CustomResources', {
        network: this, keys: props.keys, profile: props.profile, internetAccess: !props.s3PrefixListId,
      });
      this.customResources.restrictDefaultSecurityGroup(vpc, vpc.vpcDefaultSecurityGroup);
      if (!props.s3PrefixListId) {
        this.s3PrefixListId = this.customResources.lookUpS3PrefixList();
        this.s3ClientSecurityGroup = this.addS3ClientGroup(this.s3PrefixListId);
      }
    } else {
      Annotations.of(this).addWarningV2('secure-data-pipeline:network-no-custom-resources',
        `No deploy-time network function, so the VPC's default security group keeps its rules${props.s3PrefixListId ? '' : ' and isolated functions have no route to S3'}: pass keys and profile${props.s3PrefixListId || props.egress ? '' : ', and egress: true or s3PrefixListId'}.`);
    }
  }

  /** The literal CIDR of the VPC this construct created (undefined for an existing VPC). */
  public get vpcCidr(): string | undefined {
    return this.cidr;
  }

  /**
   * Admits `peer` to the interface endpoints on 443 (an egress rule on its groups, an ingress rule on the endpoint
   * group). PipelineFunctions need not call it: they carry the shared API-client group.
   */
  public allowEndpointAccess(peer: IConnectable): void {
    if (!this.endpointSecurityGroup) {
      throw new ConfigurationError(`SecureNetwork ${this.node.path}`, [{
        path: 'existingEndpointSecurityGroup',
        problem: 'the network has no interface-endpoint security group to admit to',
        fix: 'pass the security group of your VPC\'s interface endpoints as existingEndpointSecurityGroup',
      }]);
    }
    peer.connections.allowTo(this.endpointSecurityGroup, Port.tcp(443), 'HTTPS to the interface endpoints');
  }

  /** The shared groups a function carries besides its own: AWS APIs through the endpoints, and S3 when known. */
  public get clientSecurityGroups(): SecurityGroup[] {
    return [this.awsApiClientSecurityGroup, this.s3ClientSecurityGroup].filter((g): g is SecurityGroup => g !== undefined);
  }

  /**
   * What a function must be created after, so that a custom resource it backs can reach the AWS APIs and answer
   * CloudFormation on its first run: the endpoints, and the client groups with their rules (separate resources).
   */
  public get awsApiDependencies(): IConstruct[] {
    return [this.awsApisReady, ...(this.s3Ready ? [this.s3Ready] : [])];
  }

  /** Limits the S3 gateway endpoint to the given buckets, for principals of this account; later calls add buckets. */
  public allowBucketsThroughEndpoint(...buckets: IBucket[]): void {
    if (!this.s3Endpoint || buckets.length === 0) return;
    this.s3Endpoint.addToPolicy(new PolicyStatement({
      sid: `Buckets${this.bucketStatementCount++}`,
      principals: [new AnyPrincipal()],
      actions: ['s3:GetObject*', 's3:PutObject*', 's3:ListBucket*', 's3:GetBucketLocation', 's3:DeleteObject*', 's3:AbortMultipartUpload'],
      resources: buckets.flatMap((b) => [b.bucketArn, b.arnForObjects('*')]),
      conditions: { StringEquals: { 'aws:PrincipalAccount': arnParts(this).account } },
    }));
  }

  private addAwsApiClientGroup(): SecurityGroup {
    const group = tieredSecurityGroup(this, 'AwsApiClientSecurityGroup', {
      vpc: this.vpc,
      description: 'Carried by every pipeline function: HTTPS to the interface endpoints only',
      tier: ISOLATED_TIER,
    });
    this.allowEndpointAccess(group);
    this.awsApisReady.node.addDependency(group, this.endpointSecurityGroup!);
    return group;
  }

  private addS3ClientGroup(prefixListId: string): SecurityGroup {
    const group = tieredSecurityGroup(this, 'S3ClientSecurityGroup', {
      vpc: this.vpc,
      description: 'Carried by every pipeline function: HTTPS to S3 (gateway endpoint prefix list) only',
      tier: ISOLATED_TIER,
    });
    group.addEgressRule(Peer.prefixList(prefixListId), Port.tcp(443), 'HTTPS to S3 through the gateway endpoint');
    this.s3Ready = new CfnWaitConditionHandle(this, 'S3Ready');
    this.s3Ready.node.addDependency(group);
    return group;
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
 * Zone IDs, when given, must be usable (see zoneIdProblems); a region known at synth where MSK refuses a zone needs
 * them, since the names the stack would pick may map to that zone in this account.
 */
function checkZones(scope: Construct, ids: readonly string[] | undefined, azCount: number, problems: ProblemCollector): void {
  const stackRegion = Stack.of(scope).region;
  const region = Token.isUnresolved(stackRegion) ? undefined : stackRegion;
  if (ids !== undefined) {
    for (const p of zoneIdProblems(ids, { azCount, ...(region !== undefined ? { region } : {}) })) problems.add(p.path, p.problem, p.fix);
  }
  if (region !== undefined) {
    for (const p of regionZoneProblems(region, azCount, ids !== undefined)) problems.add(p.path, p.problem, p.fix);
  }
}

/**
 * Places every subnet by zone ID: CloudFormation takes AvailabilityZone or AvailabilityZoneId, so the name CDK wrote
 * is removed. The first subnet of each zone becomes the zone's anchor (see the Vpc's availabilityZones).
 */
function placeByZoneId(vpc: Vpc, zoneIds: readonly string[], anchors: CfnSubnet[]): void {
  const zones = vpc.availabilityZones;
  for (const subnet of [...vpc.isolatedSubnets, ...vpc.privateSubnets, ...vpc.publicSubnets]) {
    const index = zones.indexOf(subnet.availabilityZone);
    const cfn = subnet.node.defaultChild as CfnSubnet;
    cfn.addPropertyDeletionOverride('AvailabilityZone');
    cfn.addPropertyOverride('AvailabilityZoneId', zoneIds[index]);
    anchors[index] ??= cfn;
  }
}

/**
 * An env-agnostic template with zone IDs deploys only to their region: a template rule says so before any resource
 * is created (EC2 would otherwise refuse the first subnet, after the VPC exists).
 */
function guardZoneIdRegion(scope: Construct, zoneIds: readonly string[]): void {
  if (!Token.isUnresolved(Stack.of(scope).region)) return;
  const region = regionOfZoneIdPrefix(zoneIds[0].replace(/-az[0-9]+$/, ''));
  if (region === undefined) return;
  new CfnRule(scope, 'ZoneIdsRegion', {
    assertions: [{
      assert: Fn.conditionEquals(Fn.ref('AWS::Region'), region),
      assertDescription: `The subnets are placed in zones ${zoneIds.join(', ')} of ${region}: deploy this template to ${region}, or synthesize again with -c ${ZONE_IDS_CONTEXT}=... of the target region (npm run preflight prints them).`,
    }],
  });
}

/**
 * An env-agnostic template picks zones by name at deploy time (Fn::GetAZs), which in some regions may be a zone MSK
 * cannot use: a template rule fails the deploy there, before any resource is created, and says what to do.
 */
function guardZonesAtDeploy(scope: Construct): void {
  if (!Token.isUnresolved(Stack.of(scope).region)) return;
  const regions = Object.keys(MSK_UNSUPPORTED_ZONE_IDS);
  new CfnRule(scope, 'ZoneIdsRequired', {
    assertions: regions.map((region) => ({
      assert: Fn.conditionNot(Fn.conditionEquals(Fn.ref('AWS::Region'), region)),
      assertDescription: `In ${region} this template must place subnets by zone ID: MSK cannot use ${MSK_UNSUPPORTED_ZONE_IDS[region].join(', ')} and zone names map to IDs per account. Run npm run preflight -- --region ${region}, synthesize again with the -c ${ZONE_IDS_CONTEXT}=... it prints, and deploy that template.`,
    })),
  });
}

/** The CIDR is a literal network address, no larger than AWS allows and large enough for the tiers. */
function checkCidr(cidr: string, azCount: number, egress: boolean, problems: ProblemCollector): void {
  const parsed = typeof cidr !== 'string' || Token.isUnresolved(cidr) ? undefined : parseCidr(cidr);
  if (!parsed) {
    problems.add('cidr', `${describeValue(cidr)} is not a literal IPv4 CIDR`, 'pass a literal such as "10.40.0.0/16"');
    return;
  }
  if (networkOf(parsed) !== cidr) {
    problems.add('cidr', `"${cidr}" has host bits set`, `use its network address, "${networkOf(parsed)}"`);
  }
  const smallest = smallestPrefixFor(tierLayout(egress), azCount);
  const tiers = tierLayout(egress).map((t) => `${t.name} /${t.mask}`).join(', ');
  if (parsed.prefix < LARGEST_VPC_PREFIX) {
    problems.add('cidr', `/${parsed.prefix} is larger than a VPC can be`, `use /${LARGEST_VPC_PREFIX} to /${Math.max(LARGEST_VPC_PREFIX, smallest)}`);
  } else if (parsed.prefix > smallest) {
    problems.add('cidr', `/${parsed.prefix} cannot hold ${azCount} zones of ${tiers}`,
      `use /${smallest} or larger (a smaller prefix length), e.g. "${networkOf({ base: parsed.base, prefix: smallest })}"`);
  }
}

/**
 * An existing VPC's selections must name subnets it has, and none of them may be public (routed to an internet
 * gateway): data stores and functions would otherwise be one security-group mistake away from the internet.
 */
function checkExistingSubnets(vpc: IVpc, props: SecureNetworkProps, problems: ProblemCollector): void {
  const publicIds = new Set(vpc.publicSubnets.map((s) => s.subnetId));
  const check = (prop: 'dataSubnets' | 'computeSubnets' | 'egressSubnets', selection: SubnetSelection, required: boolean) => {
    if (selection.subnetType === SubnetType.PUBLIC) {
      problems.add(prop, 'selects public subnets', 'select private subnets (isolated, or routed through NAT for egressSubnets)');
      return;
    }
    let subnets: ISubnet[];
    try {
      subnets = vpc.selectSubnets(selection).subnets;
    } catch (e) {
      if (required) problems.add(prop, `selects nothing in the VPC (${(e as Error).message.split('\n')[0]})`, fixFor(prop));
      return;
    }
    if (subnets.length === 0) {
      if (required) problems.add(prop, 'selects no subnet', fixFor(prop));
      return;
    }
    const exposed = subnets.filter((s) => publicIds.has(s.subnetId));
    if (exposed.length > 0) {
      problems.add(prop, `selects public subnets (${exposed.map((s) => s.subnetId).join(', ')}), which route to an internet gateway`,
        'select private subnets (isolated, or routed through NAT for egressSubnets)');
    }
  };
  check('dataSubnets', props.dataSubnets ?? { subnetGroupName: DATA_SUBNETS }, true);
  check('computeSubnets', props.computeSubnets ?? { subnetGroupName: COMPUTE_SUBNETS }, true);
  check('egressSubnets', props.egressSubnets ?? { subnetGroupName: EGRESS_SUBNETS }, props.egressSubnets !== undefined);
}

function fixFor(prop: string): string {
  return `give the VPC a private subnet group named "${prop.replace('Subnets', '')}", or pass ${prop} (e.g. { subnets: [...] })`;
}

/** CloudFormation's regional bucket for custom-resource responses (the region is written without dashes). */
function cloudFormationResponseBucket(scope: Construct): string {
  return `cloudformation-custom-resource-response-${regionWithoutDashes(scope)}`;
}

/**
 * Props a JavaScript caller can get wrong in ways the checks above would misread: a truthy non-boolean `egress`,
 * a missing or non-key `logKey`, a retention CloudWatch Logs refuses, endpoint names that are not construct ids.
 * (The CIDR and existingVpc checks live in the constructor.)
 */
/** The default endpoints by name (the names do not depend on the region). */
const DEFAULT_ENDPOINT_NAMES_SAMPLE = defaultInterfaceEndpoints('us-east-1');

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
    if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) || Object.hasOwn(DEFAULT_ENDPOINT_NAMES_SAMPLE, name)) {
      problems.add(`additionalInterfaceEndpoints.${name}`, 'is not a free endpoint name', `use letters and digits, other than ${Object.keys(DEFAULT_ENDPOINT_NAMES_SAMPLE).join(', ')}`);
    }
    if (!(service instanceof InterfaceVpcEndpointAwsService)) {
      problems.add(`additionalInterfaceEndpoints.${name}`, `${describeValue(service)} is not an InterfaceVpcEndpointAwsService`, 'use InterfaceVpcEndpointAwsService.X');
    }
  }
}
