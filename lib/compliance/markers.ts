/**
 * Markers that constructs put on resources so our own pack rules can tell them apart by what the template says,
 * not by construct class. They are CloudFormation tags, so rule sets that read the raw template see them too.
 */

/** Tag on a security group: which network tier the resources behind it run in (`egress`, `isolated`, `endpoint`, `data`). */
export const NETWORK_TIER_TAG = 'secure-data-pipeline:network-tier';

/** The tier whose functions may reach the internet on 443 (through NAT and the DNS firewall). */
export const EGRESS_TIER = 'egress';
