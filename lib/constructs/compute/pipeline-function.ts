/** The one way this project creates a Lambda function: hardened, in the VPC, encrypted, traced, bounded. */
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack, Token } from 'aws-cdk-lib';
import { Connections, IConnectable, Peer, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Grant, IGrantable, IPrincipal, ManagedPolicy, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, CfnFunction, Code, Function as LambdaFunction, FunctionProps, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Classification, policyFor } from '../../classification';
import { acknowledge } from '../../compliance/acknowledge';
import { EGRESS_TIER } from '../../compliance/markers';
import { secretLikeVariables } from '../../compliance/rules/no-secret-in-lambda-environment';
import { Profile, validateProfile } from '../../config';
import { CLASSIFICATIONS } from '../../classification';
import { ProblemCollector } from '../../errors';
import { arnParts } from '../common/arn-parts';
import { encryptedDeadLetterQueue } from '../common/dead-letter-queue';
import { LAMBDA_CREATE_NEW_POLICIES_WITH_ADD_TO_ROLE_POLICY, pinFeatureFlags } from '../common/feature-flags';
import { encryptedLogGroup } from '../common/log-group';
import { ManagedPolicyRole } from '../common/managed-policy-role';
import { checkDuration, checkInstance, checkString } from '../common/prop-checks';
import { ISOLATED_TIER, tieredSecurityGroup } from '../common/security-group';
import { DataKeys } from '../keys/data-keys';
import { BUILT_IN_HANDLER_NAMES, BuiltInHandler, builtInHandlerDirectory } from './handler-bundles';
// A value import (instanceof in checkFunctionProps): the cycle through SecureNetwork's own function is harmless,
// because the class is read when a function is constructed, never while the modules load.
import { SecureNetwork } from '../network/secure-network';

/** The newest Node.js LTS the Lambda service offers. */
export const PIPELINE_RUNTIME = Runtime.NODEJS_24_X;

/** Lock files NodejsFunction understands, in the order they are looked for. */
const LOCK_FILES: readonly string[] = ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock'];

/**
 * The handler's code: give exactly one of `entry` (your source, bundled by esbuild at synth), `assetDirectory` (your
 * prebuilt bundle) or `builtInHandler` (one of this package's own prebuilt handlers). Everything else about the
 * function (network, keys, logs, role, concurrency) is the same whichever you give.
 */
export interface PipelineFunctionProps {
  /**
   * Handler source to bundle at synth with the local esbuild (a devDependency of your project; never Docker), e.g.
   * `src/handlers/curate.ts`: absolute, or relative to `projectRoot`. @default none
   */
  readonly entry?: string;
  /**
   * A directory holding a bundle you built yourself: `index.js` (or `index.mjs`, `index.cjs`) exporting `handler`, with
   * everything it needs but the AWS SDK. Absolute, or relative to `projectRoot`. Uploaded as is. @default none
   */
  readonly assetDirectory?: string;
  /** One of this package's own handlers, prebuilt into its `dist/lambda/<name>/`. @default none */
  readonly builtInHandler?: BuiltInHandler;
  /**
   * Your project's root: relative `entry` and `assetDirectory` resolve from here, and esbuild runs here. @default the
   * nearest directory at or above the current working directory that holds a lock file (package-lock.json, yarn.lock,
   * pnpm-lock.yaml, bun.lock), else the current working directory
   */
  readonly projectRoot?: string;
  /** The lock file esbuild's dependency versions come from (with `entry`). @default the lock file in `projectRoot` */
  readonly depsLockFilePath?: string;
  /** Exported handler name (with `entry` or `assetDirectory`; built-in handlers export `handler`). @default 'handler' */
  readonly handler?: string;
  /** Classification of the data the function handles: decides the env key and log retention. */
  readonly classification: Classification;
  readonly network: SecureNetwork;
  readonly keys: DataKeys;
  readonly profile: Profile;
  /**
   * Run in the egress tier to call the internet on 443 (the network must have one; its DNS firewall decides which
   * names resolve). @default false: isolated compute tier, reaching only the interface endpoints and S3
   */
  readonly internetAccess?: boolean;
  /** Environment: references only (ARNs, names), never secret values. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** A whole number of seconds from 1 second to 15 minutes (what Lambda accepts). @default 30 seconds */
  readonly timeout?: Duration;
  /** Whole MB from 128 to 10240 (what Lambda accepts). @default 256 */
  readonly memorySize?: number;
  /**
   * Concurrency reserved for this function (taken from the account's unreserved pool, which Lambda keeps at 100 or
   * more). @default the profile's reservedConcurrency; none when the profile has none (dev and prod)
   */
  readonly reservedConcurrency?: number;
  /**
   * What bounds the function's concurrency when it reserves none. The HIPAA and NIST packs' LambdaConcurrency
   * findings are acknowledged on the function with this bound as the reason; our pack's LambdaBoundedConcurrency
   * checks in the template that the bound is really there. @default none: an unreserved function is reported
   */
  readonly concurrencyBound?: ConcurrencyBound;
  /**
   * With `entry`: modules left out of the bundle because the Lambda runtime provides them. Narrow it to bundle an SDK
   * package the runtime may lack (e.g. `@aws-sdk/rds-signer`). @default ['@aws-sdk/*']
   */
  readonly externalModules?: readonly string[];
  /** At most 256 characters (Lambda's limit). @default `secure-data-pipeline <id>` */
  readonly description?: string;
}

/**
 * How an unreserved function's concurrency is bounded, as the template shows it (our pack's LambdaBoundedConcurrency
 * checks each kind):
 * - `sqs`: an SQS event source mapping with ScalingConfig.MaximumConcurrency;
 * - `kafka`: an MSK event source mapping with ProvisionedPollerConfig.MaximumPollers; Lambda reads each partition of
 *   the topic sequentially, so at most `partitions` invocations run at once;
 * - `schedule`: only an EventBridge schedule invokes it, one invocation per tick;
 * - `custom-resource`: only CloudFormation invokes it, as the service token of custom resources, during deploys;
 * - `secret-rotation`: only Secrets Manager invokes it, rotating one secret, one rotation at a time.
 */
export type ConcurrencyBound =
  | { readonly by: 'sqs'; readonly maxConcurrency: number }
  | { readonly by: 'kafka'; readonly partitions: number; readonly maxPollers: number }
  | { readonly by: 'schedule'; readonly expression: string }
  | { readonly by: 'custom-resource' }
  | { readonly by: 'secret-rotation' };

const CONCURRENCY_BOUND_KINDS: readonly ConcurrencyBound['by'][] = ['sqs', 'kafka', 'schedule', 'custom-resource', 'secret-rotation'];

/** The packs whose LambdaConcurrency rule asks for ReservedConcurrentExecutions (cdk-nag 3: HIPAA and NIST 800-53 R5). */
const LAMBDA_CONCURRENCY_RULES: readonly string[] = ['HIPAA.Security-LambdaConcurrency', 'NIST.800.53.R5-LambdaConcurrency'];

const WHY_NOT_RESERVED = 'a reservation would take from the account\'s unreserved pool, which Lambda keeps at 100 or more and '
  + 'which new accounts (concurrency quota 10) cannot spare';

/** The acknowledgement reason for an unreserved function: names the bound, then why nothing is reserved. */
export function concurrencyBoundReason(bound: ConcurrencyBound): string {
  switch (bound.by) {
    case 'sqs':
      return `Bounded by the SQS event source mapping's maximum concurrency of ${bound.maxConcurrency}; ${WHY_NOT_RESERVED}`;
    case 'kafka':
      return `Bounded by the MSK event source mapping: Lambda reads each of the topic's ${bound.partitions} partitions sequentially `
        + `(at most ${bound.partitions} invocations at once) with at most ${bound.maxPollers} provisioned pollers; ${WHY_NOT_RESERVED}`;
    case 'schedule':
      return `Invoked only by its EventBridge schedule ${bound.expression}, one invocation per tick that ends within the function timeout; ${WHY_NOT_RESERVED}`;
    case 'custom-resource':
      return `Invoked only by CloudFormation during deploys, as the service token of this stack's custom resources (no other permission, mapping or URL); ${WHY_NOT_RESERVED}`;
    case 'secret-rotation':
      return `Invoked only by Secrets Manager rotating one secret on its schedule, one rotation at a time (RotateSecret refuses while one is in progress); ${WHY_NOT_RESERVED}`;
  }
}

/** Handler sources NodejsFunction can bundle. */
const ENTRY_FILE = /\.(jsx?|tsx?|cjs|cts|mjs|mts)$/;

/** Files Lambda's Node.js runtime loads for the handler `index.<export>`. */
const BUNDLE_FILES: readonly string[] = ['index.js', 'index.mjs', 'index.cjs'];

/** Where the handler's code comes from, resolved. */
type ResolvedCode =
  | { readonly kind: 'entry'; readonly path: string; readonly projectRoot: string; readonly lockFile: string }
  | { readonly kind: 'asset'; readonly path: string };

/** The nearest directory at or above `from` that holds a lock file, and that file. */
export function findProjectRoot(from: string = process.cwd()): { readonly root: string; readonly lockFile: string } | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const lockFile = LOCK_FILES.map((name) => path.join(dir, name)).find((file) => fs.existsSync(file));
    if (lockFile) return { root: dir, lockFile };
    if (path.dirname(dir) === dir) return undefined;
  }
}

function esbuildInstalled(root: string): boolean {
  try {
    require.resolve('esbuild', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

/** Exactly one source of code, each checked where it is: an entry file, a bundle directory, a built-in handler. */
function resolveCode(props: PipelineFunctionProps, problems: ProblemCollector): ResolvedCode | undefined {
  const given = (['entry', 'assetDirectory', 'builtInHandler'] as const).filter((name) => props[name] !== undefined);
  checkString(problems, 'projectRoot', props.projectRoot, /\S/, 'a directory path');
  checkString(problems, 'depsLockFilePath', props.depsLockFilePath, /\S/, 'a lock file path');
  const oneOf = 'give exactly one of entry (a handler source to bundle), assetDirectory (a prebuilt bundle) or builtInHandler';
  if (given.length === 0) problems.add('entry', 'no handler code is given', oneOf);
  for (const name of given.length > 1 ? given : []) {
    problems.add(name, `is given together with ${given.filter((other) => other !== name).join(' and ')}`, oneOf);
  }
  // Only an entry alone is bundled at synth; with a prebuilt bundle (or no single source) there is nothing to exclude.
  if (props.externalModules !== undefined && !(given.length === 1 && given[0] === 'entry')) {
    problems.add('externalModules', 'only applies when esbuild bundles an entry at synth', 'remove it; a prebuilt bundle decides its own externals when it is built');
  }
  const found = typeof props.projectRoot === 'string' ? undefined : findProjectRoot();
  const root = typeof props.projectRoot === 'string' ? path.resolve(props.projectRoot) : found?.root ?? process.cwd();
  if (typeof props.projectRoot === 'string' && !fs.existsSync(root)) {
    problems.add('projectRoot', `${root} does not exist`, 'give your project\'s directory (where its package.json and lock file are)');
  }
  if (given.length !== 1) return undefined;
  const resolve = (p: string) => (path.isAbsolute(p) ? p : path.join(root, p));
  if (props.builtInHandler !== undefined) {
    if (!problems.checkOneOf('builtInHandler', props.builtInHandler, BUILT_IN_HANDLER_NAMES)) return undefined;
    if (props.handler !== undefined && props.handler !== 'handler') {
      problems.add('handler', 'built-in handlers export "handler"', 'remove handler, or bundle your own code with entry or assetDirectory');
    }
    const directory = problems.collect(() => builtInHandlerDirectory(props.builtInHandler!));
    return directory === undefined ? undefined : { kind: 'asset', path: directory };
  }
  if (props.assetDirectory !== undefined) {
    if (!checkString(problems, 'assetDirectory', props.assetDirectory, /\S/, 'a directory path')) return undefined;
    const directory = resolve(props.assetDirectory);
    if (!BUNDLE_FILES.some((file) => fs.existsSync(path.join(directory, file)))) {
      problems.add('assetDirectory', `${directory} holds no ${BUNDLE_FILES.join(', ')}`,
        'bundle your handler (e.g. esbuild --bundle --platform=node --outfile=<dir>/index.js) into that directory first, or give its path relative to projectRoot');
      return undefined;
    }
    return { kind: 'asset', path: directory };
  }
  if (!checkString(problems, 'entry', props.entry, ENTRY_FILE, 'a .ts or .js handler file, e.g. src/handlers/curate.ts', false)) return undefined;
  const entry = resolve(props.entry!);
  if (!fs.existsSync(entry)) {
    problems.add('entry', `${entry} does not exist`, `give the handler source relative to your project root ${root} (or projectRoot), or an absolute path`);
  }
  const lockFile = typeof props.depsLockFilePath === 'string' ? path.resolve(root, props.depsLockFilePath)
    : LOCK_FILES.map((name) => path.join(root, name)).find((file) => fs.existsSync(file));
  if (lockFile === undefined || !fs.existsSync(lockFile)) {
    problems.add(props.depsLockFilePath === undefined ? 'projectRoot' : 'depsLockFilePath',
      lockFile === undefined ? `${root} holds no lock file (${LOCK_FILES.join(', ')})` : `${lockFile} does not exist`,
      'run the app from your project (where npm install wrote package-lock.json), or pass projectRoot and depsLockFilePath');
    return undefined;
  }
  if (!esbuildInstalled(root)) {
    // Without a local esbuild, NodejsFunction would fall back to bundling in Docker.
    problems.add('entry', `esbuild is not installed in ${root}, and bundling must never fall back to Docker`,
      'npm install --save-dev esbuild in your project (or prebuild the handler and pass assetDirectory)');
  }
  return { kind: 'entry', path: entry, projectRoot: root, lockFile };
}

/**
 * Names the Lambda runtime sets itself and refuses in a function's environment.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
const RESERVED_VARIABLES: ReadonlySet<string> = new Set([
  'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

/** Lambda's limit on the whole environment (names and values), in bytes. */
const ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * A NodejsFunction bundled locally by esbuild (never Docker): latest Node LTS on arm64, minified with source maps,
 * AWS SDK v3 from the runtime; its own security group (no egress in the isolated tier, HTTPS to anywhere in the egress
 * tier, other ports opened by grants) plus the network's shared client groups (HTTPS to the interface endpoints and
 * to S3); an explicit
 * log group under the audit key with the classification's retention; environment encrypted with the
 * classification's key; X-Ray; concurrency bounded by what invokes it (reserved only when asked); an encrypted
 * dead-letter queue for asynchronous invocations;
 * and a role whose grants land in a customer-managed policy.
 */
export class PipelineFunction extends Construct implements IGrantable, IConnectable {
  /** A NodejsFunction with `entry`; a plain Function with `assetDirectory` or `builtInHandler`. */
  public readonly function: LambdaFunction;
  public readonly role: ManagedPolicyRole;
  /** The function's own group: what grants open (database, brokers) lands here, never on the shared groups. */
  public readonly securityGroup: SecurityGroup;
  public readonly logGroup: ILogGroup;
  /** Failed asynchronous invocations: one queue per classification in the stack, under that classification's key. */
  public readonly deadLetterQueue: Queue;
  public readonly classification: Classification;
  /** What the function reserves; undefined when it reserves nothing (the default) and is bounded otherwise. */
  public readonly reservedConcurrency?: number;
  private readonly ownConnections: Connections;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    pinFeatureFlags(this, { [LAMBDA_CREATE_NEW_POLICIES_WITH_ADD_TO_ROLE_POLICY]: false });
    const problems = new ProblemCollector(`PipelineFunction ${this.node.path}`);
    problems.checkPropsObject(props);
    const environment: unknown = props.environment;
    const secretLike = secretLikeVariables(typeof environment === 'object' && environment !== null ? environment as Record<string, unknown> : {});
    if (secretLike.length > 0) {
      problems.add(`environment.${secretLike.join(', environment.')}`, 'looks like a secret value',
        'store it in Secrets Manager and pass the secret ARN (e.g. API_CREDENTIAL_SECRET_ARN)');
    }
    if (props.internetAccess === true && !props.network?.egressSubnets) {
      problems.add('internetAccess', 'the network has no egress tier', 'create SecureNetwork with egress: true');
    }
    checkFunctionProps(props, problems);
    const code = resolveCode(props, problems);
    if (props.network instanceof SecureNetwork && !props.network.awsApiClientSecurityGroup) {
      problems.add('network', 'has no interface-endpoint security group, so the function could reach no AWS API',
        'pass existingEndpointSecurityGroup (the group of your VPC\'s interface endpoints) to SecureNetwork with existingVpc');
    }
    if (props.network instanceof SecureNetwork && props.internetAccess !== true && !props.network.s3ClientSecurityGroup) {
      // Every isolated function touches S3: data, or the pre-signed URL a custom resource answers CloudFormation through.
      problems.add('network', 'knows no S3 prefix list, so an isolated-tier function could not reach S3 (nor answer CloudFormation)',
        'create SecureNetwork with egress: true plus keys and profile (it looks the list up at deploy time), or pass s3PrefixListId (aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.<region>.s3)');
    }
    problems.throwIfAny();
    const concurrency = props.reservedConcurrency ?? props.profile.reservedConcurrency;
    this.reservedConcurrency = concurrency;

    const { network, keys } = props;
    this.classification = props.classification;
    const dataKey = keys.keyFor(props.classification);
    this.securityGroup = tieredSecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: `${this.node.path}: ${props.internetAccess ? 'HTTPS to the internet (NAT, DNS firewall)' : 'no egress of its own'}; other ports only by grants`,
      tier: props.internetAccess ? EGRESS_TIER : ISOLATED_TIER,
    });
    if (props.internetAccess) {
      // The egress tier routes 0.0.0.0/0 through NAT; S3 and DynamoDB go through their gateway endpoints' routes.
      this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to the source APIs the DNS firewall resolves');
    }
    this.ownConnections = new Connections({ securityGroups: [this.securityGroup] });
    this.logGroup = encryptedLogGroup(this, 'LogGroup', { key: keys.audit, retentionDays: policyFor(props.classification).logRetentionDays });
    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.role.addManagedPolicy(basePolicy(this));
    this.role.addToPrincipalPolicy(new PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));
    this.deadLetterQueue = sharedDeadLetterQueue(this, props.classification, dataKey);
    // Lambda sends failed events to the encrypted queue with this role: it needs the queue's key through SQS.
    Grant.addToPrincipal({
      grantee: this.role, actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resourceArns: [dataKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sqs.${arnParts(this).region}.amazonaws.com` } },
    });

    const common: Omit<FunctionProps, 'code' | 'handler'> = {
      runtime: PIPELINE_RUNTIME,
      architecture: Architecture.ARM_64,
      vpc: network.vpc,
      vpcSubnets: props.internetAccess ? network.egressSubnets : network.computeSubnets,
      securityGroups: [this.securityGroup, ...network.clientSecurityGroups],
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: id,
        ...props.environment,
      },
      environmentEncryption: dataKey,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 256,
      reservedConcurrentExecutions: concurrency,
      deadLetterQueue: this.deadLetterQueue,
      description: props.description ?? `secure-data-pipeline ${id}`,
    };
    const handler = props.handler ?? 'handler';
    const resolved = code!;
    this.function = resolved.kind === 'entry'
      ? new NodejsFunction(this, 'Function', {
        ...common,
        entry: resolved.path,
        handler,
        projectRoot: resolved.projectRoot,
        depsLockFilePath: resolved.lockFile,
        bundling: {
          forceDockerBundling: false,
          minify: true,
          sourceMap: true,
          sourcesContent: false,
          format: OutputFormat.CJS,
          target: 'node24',
          // pg-native is an optional native add-on of pg that is rarely used in Lambda.
          externalModules: [...(props.externalModules ?? ['@aws-sdk/*']), 'pg-native'],
        },
      })
      : new LambdaFunction(this, 'Function', { ...common, code: Code.fromAsset(resolved.path), handler: `index.${handler}` });
    // Rules of the shared groups and the endpoints are separate resources: the function (and any custom resource it
    // backs) waits for them, or its first run could not reach an AWS API or answer CloudFormation.
    this.function.node.addDependency(...network.awsApiDependencies);
    // Tracing through the L1: the L2 would add a wildcard X-Ray statement to every role; basePolicy holds it once.
    (this.function.node.defaultChild as CfnFunction).tracingConfig = { mode: 'Active' };
    if (concurrency === undefined && props.concurrencyBound !== undefined) {
      const reason = concurrencyBoundReason(props.concurrencyBound);
      for (const rule of LAMBDA_CONCURRENCY_RULES) acknowledge(this.function, rule, reason);
    }
  }

  public get grantPrincipal(): IPrincipal {
    return this.role;
  }

  /** The function's own group only: a grant must not open a port to every function carrying the shared groups. */
  public get connections(): Connections {
    return this.ownConnections;
  }

  public get functionArn(): string {
    return this.function.functionArn;
  }

  public addEnvironment(key: string, value: string): void {
    const problems = new ProblemCollector(`PipelineFunction ${this.node.path}`);
    if (secretLikeVariables({ [key]: value }).length > 0) {
      problems.add(`environment.${key}`, 'looks like a secret value', 'store it in Secrets Manager and pass the secret ARN');
    }
    checkEnvironment({ [key]: value }, problems);
    problems.throwIfAny();
    this.function.addEnvironment(key, value);
  }
}

/** One dead-letter queue per classification in the stack, shared by its functions. */
function sharedDeadLetterQueue(scope: Construct, classification: Classification, key: IKey): Queue {
  const stack = Stack.of(scope);
  const id = `PipelineFunctionDeadLetters${classification}`;
  return (stack.node.tryFindChild(id) as Queue | undefined) ?? encryptedDeadLetterQueue(stack, id, {
    key,
    classification,
    receives: `failed asynchronous invocations of the ${classification} pipeline functions`,
    recognisedAsDeadLetterQueue: true,
  });
}

/**
 * One customer-managed policy per stack with what every VPC function needs and IAM cannot scope to a resource:
 * managing its network interfaces and sending X-Ray traces.
 */
function basePolicy(scope: Construct): ManagedPolicy {
  const stack = Stack.of(scope);
  const id = 'PipelineFunctionBasePolicy';
  const existing = stack.node.tryFindChild(id) as ManagedPolicy | undefined;
  if (existing) return existing;
  const policy = new ManagedPolicy(stack, id, {
    description: 'VPC network interfaces and X-Ray tracing for every PipelineFunction',
    statements: [
      new PolicyStatement({
        sid: 'VpcNetworkInterfaces',
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses', 'ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups'],
        resources: ['*'],
      }),
      new PolicyStatement({ sid: 'XRayTraces', actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }),
    ],
  });
  acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]',
    'Lambda manages its VPC network interfaces before their ids exist, and X-Ray PutTraceSegments has no resource type; these are the only wildcard actions and they live in this one policy');
  return policy;
}

/**
 * Every prop a JavaScript caller or a careless team stack can get wrong, checked against what Lambda accepts
 * (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html: memory 128–10240 MB, timeout up to
 * 900 seconds, description up to 256 characters, environment names `[a-zA-Z]([a-zA-Z0-9_])+`, 4 KB in all).
 */
function checkFunctionProps(props: PipelineFunctionProps, problems: ProblemCollector): void {
  checkString(problems, 'handler', props.handler, /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/, 'the name of an exported function, e.g. handler');
  problems.checkOneOf('classification', props.classification, CLASSIFICATIONS);
  checkInstance(problems, 'network', props.network, SecureNetwork, 'pass the SecureNetwork of the stack');
  checkInstance(problems, 'keys', props.keys, DataKeys, 'pass the DataKeys of the stack');
  problems.collect(() => validateProfile(props.profile, 'profile'));
  problems.checkBoolean('internetAccess', props.internetAccess);
  problems.checkInteger('memorySize', props.memorySize, { min: 128, max: 10240, unit: 'MB' });
  problems.checkInteger('reservedConcurrency', props.reservedConcurrency, { min: 1, max: 1000 });
  checkConcurrencyBound(props.concurrencyBound, problems);
  checkDuration(problems, 'timeout', props.timeout, { min: Duration.seconds(1), max: Duration.minutes(15), unit: 'seconds' });
  if (props.description !== undefined && (typeof props.description !== 'string' || props.description.length > 256)) {
    problems.add('description', 'is not a string of at most 256 characters', 'shorten it (Lambda keeps 256 characters)');
  }
  if (props.externalModules !== undefined
    && (!Array.isArray(props.externalModules) || !props.externalModules.every((m) => typeof m === 'string' && m.length > 0))) {
    problems.add('externalModules', 'is not a list of module names', "pass module names or patterns, e.g. ['@aws-sdk/*']");
  }
  checkEnvironment(props.environment, problems);
}

/** The bound's kind and its numbers, within what the event source mappings accept. */
function checkConcurrencyBound(bound: unknown, problems: ProblemCollector): void {
  if (bound === undefined) return;
  const value = bound as Partial<Record<string, unknown>>;
  if (typeof bound !== 'object' || bound === null || !problems.checkOneOf('concurrencyBound.by', value.by, CONCURRENCY_BOUND_KINDS)) {
    if (typeof bound !== 'object' || bound === null) {
      problems.add('concurrencyBound', 'is not an object', "pass e.g. { by: 'sqs', maxConcurrency: 5 } or { by: 'custom-resource' }");
    }
    return;
  }
  if (value.by === 'sqs') {
    // SQS mappings accept MaximumConcurrency from 2 to 1000.
    if (value.maxConcurrency === undefined) problems.add('concurrencyBound.maxConcurrency', 'is missing', 'give the mapping\'s maximum concurrency');
    problems.checkInteger('concurrencyBound.maxConcurrency', value.maxConcurrency, { min: 2, max: 1000 });
  } else if (value.by === 'kafka') {
    for (const [name, max] of [['partitions', 1000], ['maxPollers', 2000]] as const) {
      if (value[name] === undefined) problems.add(`concurrencyBound.${name}`, 'is missing', `give the mapping's ${name}`);
      problems.checkInteger(`concurrencyBound.${name}`, value[name], { min: 1, max });
    }
  } else if (value.by === 'schedule' && (typeof value.expression !== 'string' || value.expression.length === 0)) {
    problems.add('concurrencyBound.expression', 'is not a schedule expression', 'give the expression of the schedule that invokes the function, e.g. rate(1 hour)');
  }
}

/** Names Lambda accepts and does not reserve, string values, 4 KB in all. */
function checkEnvironment(environment: unknown, problems: ProblemCollector): void {
  if (environment === undefined) return;
  if (typeof environment !== 'object' || environment === null || Array.isArray(environment)) {
    problems.add('environment', 'is not an object of names to values', 'pass { NAME: "value" }');
    return;
  }
  let bytes = 0;
  for (const [name, value] of Object.entries(environment)) {
    if (!/^[a-zA-Z][a-zA-Z0-9_]+$/.test(name)) {
      problems.add(`environment.${name}`, 'is not a name Lambda accepts', 'use letters, digits and "_", starting with a letter, at least 2 characters');
    } else if (RESERVED_VARIABLES.has(name)) {
      problems.add(`environment.${name}`, 'is set by the Lambda runtime itself', 'remove it; the runtime provides it');
    }
    if (typeof value !== 'string') {
      problems.add(`environment.${name}`, `${typeof value} is not a string`, 'pass every value as a string (String(value))');
    } else if (!Token.isUnresolved(value)) {
      bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
    }
  }
  if (bytes > ENVIRONMENT_LIMIT_BYTES) {
    problems.add('environment', `holds ${bytes} bytes, more than Lambda's ${ENVIRONMENT_LIMIT_BYTES}`, 'pass large settings through S3 or Parameter Store and their name here');
  }
}
