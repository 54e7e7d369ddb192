import { AddToPrincipalPolicyResult, ManagedPolicy, PolicyStatement, Role, RoleProps } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A role whose grants land in one customer-managed policy instead of an inline `DefaultPolicy`.
 * HIPAA, NIST 800-53 and PCI DSS forbid inline policies; with this role every `grant*()` call stays compliant.
 */
export class ManagedPolicyRole extends Role {
  /** The customer-managed policy that holds every statement granted to this role. */
  public readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: RoleProps) {
    super(scope, id, props);
    this.policy = new ManagedPolicy(this, 'Policy', { description: `Permissions of ${this.node.path}` });
    this.addManagedPolicy(this.policy);
  }

  public override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
