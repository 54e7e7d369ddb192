/**
 * Route 53 Resolver DNS Firewall on a VPC: the names on the allow list resolve, every other name gets no answer.
 * A compromised function can then not look up a host of its choosing to send data to (or tunnel it through DNS).
 */
import { Token } from 'aws-cdk-lib';
import { IVpc } from 'aws-cdk-lib/aws-ec2';
import {
  CfnFirewallConfig,
  CfnFirewallDomainList,
  CfnFirewallRuleGroup,
  CfnFirewallRuleGroupAssociation,
} from 'aws-cdk-lib/aws-route53resolver';
import { Construct } from 'constructs';
import { describeValue, ProblemCollector } from '../../errors';

export interface DnsFirewallProps {
  readonly vpc: IVpc;
  /**
   * Names that resolve: exact host names (`api.example.com`) or `*.` followed by a domain for its subdomains.
   * CloudFormation tokens (e.g. the region) are allowed inside a name. Duplicates are dropped.
   */
  readonly allowedDomains: readonly string[];
}

/**
 * Priority of the rule group among those associated with the VPC (CloudFormation takes 101 to 9899); a low number
 * so that no rule group added later can allow first.
 */
export const DNS_FIREWALL_PRIORITY = 101;

// A label: letters, digits and hyphens, not starting or ending with a hyphen; a name: two labels or more.
const NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Wildcards over names that every AWS account can create endpoints under. */
const TOO_BROAD = [
  /^\*\.(amazonaws\.com|amazonaws\.com\.cn|api\.aws|on\.aws|aws)$/,
  /^\*\.([a-z]{2}(-[a-z]+)+-\d|token)\.(amazonaws\.com|amazonaws\.com\.cn|api\.aws)$/,
];

/** `host` is a literal IPv4 or IPv6 address, which DNS never sees. */
export function isIpLiteral(host: string): boolean {
  // IPv6: hex digits and colons only (optionally in brackets), so a URL such as https://host is not mistaken for one.
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || /^\[?[0-9a-fA-F:]*:[0-9a-fA-F:.]*\]?$/.test(host);
}

/**
 * Why `domain` cannot be on an allow list (too broad, or not a host name), or undefined when it can. A token inside
 * a name (the region) is checked with a valid label in its place.
 */
export function domainProblem(domain: unknown): { problem: string; fix: string } | undefined {
  if (typeof domain !== 'string') {
    return { problem: `${describeValue(domain)} is not a host name`, fix: 'give host names as strings, e.g. api.example.com' };
  }
  const literal = Token.isUnresolved(domain) ? domain.replace(/\$\{Token\[[^\]]+\]\}/g, 'token') : domain;
  if (literal === '*' || literal.startsWith('*.') && literal.split('.').length < 3) {
    return { problem: `"${domain}" would allow every name, or every name under a top-level domain`, fix: 'list the exact hosts the functions call' };
  }
  if (TOO_BROAD.some((pattern) => pattern.test(literal))) {
    return {
      problem: `"${domain}" would let any AWS account's endpoints resolve (another account's API Gateway, bucket or function URL, reached through NAT)`,
      fix: 'list the exact service names, e.g. secretsmanager.<region>.amazonaws.com',
    };
  }
  if (!NAME.test(literal) || isIpLiteral(literal)) {
    return { problem: `"${domain}" is not a lower-case host name or "*." followed by one`, fix: 'give host names only (no scheme, port, path or IP address), e.g. api.example.com' };
  }
  return undefined;
}

export class DnsFirewall extends Construct {
  /** The names that resolve, sorted and without duplicates. */
  public readonly allowedDomains: readonly string[];
  public readonly ruleGroup: CfnFirewallRuleGroup;
  public readonly association: CfnFirewallRuleGroupAssociation;
  public readonly config: CfnFirewallConfig;

  constructor(scope: Construct, id: string, props: DnsFirewallProps) {
    super(scope, id);
    const problems = new ProblemCollector(`DnsFirewall ${this.node.path}`);
    const domains = [...new Set(props.allowedDomains)].sort();
    for (const domain of domains) {
      const refused = domainProblem(domain);
      if (refused) problems.add('allowedDomains', refused.problem, refused.fix);
    }
    if (domains.length === 0) {
      problems.add('allowedDomains', 'is empty', 'list at least the AWS service names the functions call');
    }
    problems.throwIfAny();
    this.allowedDomains = domains;

    const allowed = new CfnFirewallDomainList(this, 'Allowed', { domains: [...domains] });
    const everything = new CfnFirewallDomainList(this, 'Everything', { domains: ['*'] });
    this.ruleGroup = new CfnFirewallRuleGroup(this, 'Rules', {
      firewallRules: [
        {
          priority: 100,
          action: 'ALLOW',
          firewallDomainListId: allowed.attrId,
          // An allowed name may be a CNAME into the provider's own domains (CDNs, AWS regional aliases); listing
          // every name of such a chain is neither possible nor useful, since its owner already chose where it leads.
          firewallDomainRedirectionAction: 'TRUST_REDIRECTION_DOMAIN',
        },
        // NODATA: the name exists for nobody here, without pointing the caller at another address.
        { priority: 200, action: 'BLOCK', blockResponse: 'NODATA', firewallDomainListId: everything.attrId },
      ],
    });
    this.association = new CfnFirewallRuleGroupAssociation(this, 'Association', {
      firewallRuleGroupId: this.ruleGroup.attrId,
      vpcId: props.vpc.vpcId,
      priority: DNS_FIREWALL_PRIORITY,
    });
    // Fail closed: when DNS Firewall cannot evaluate a query, the query fails instead of resolving unfiltered.
    // Availability of name resolution is traded for the guarantee that no unlisted name ever resolves
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-route53resolver-firewallconfig.html).
    this.config = new CfnFirewallConfig(this, 'Config', { resourceId: props.vpc.vpcId, firewallFailOpen: 'DISABLED' });
  }
}
