/**
 * Stand-in types for `@aws-sdk/client-ec2`, which the Lambda runtime provides but this repository does not install
 * yet: exactly the aggregated client the handler constructs. Delete this file once the package is a devDependency
 * (the real types then apply; TypeScript prefers the installed package over an ambient declaration).
 */
declare module '@aws-sdk/client-ec2' {
  import type { Ec2Api } from './ec2-api';

  export class EC2 implements Ec2Api {
    constructor(config: Record<string, unknown>);
    describeManagedPrefixLists: Ec2Api['describeManagedPrefixLists'];
    revokeSecurityGroupIngress: Ec2Api['revokeSecurityGroupIngress'];
    revokeSecurityGroupEgress: Ec2Api['revokeSecurityGroupEgress'];
  }
}
