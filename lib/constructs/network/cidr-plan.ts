/** How much address space the subnet tiers need, computed the way CDK lays them out. Pure. */

export interface TierSize {
  readonly name: string;
  /** Prefix length of each of the tier's subnets (one per availability zone). */
  readonly mask: number;
}

export interface ParsedCidr {
  /** The network address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefix: number;
}

/** A literal IPv4 CIDR (`10.40.0.0/16`), or undefined when it is not one. */
export function parseCidr(cidr: string): ParsedCidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { base: octets.reduce((n, o) => n * 256 + o, 0), prefix };
}

/** `cidr` with its host bits cleared, e.g. `10.40.1.0/16` → `10.40.0.0/16`. */
export function networkOf({ base, prefix }: ParsedCidr): string {
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  return `${[24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.')}/${prefix}`;
}

/**
 * Addresses taken by `tiers` in `azCount` zones. CDK allocates the tiers in order, one subnet per zone, each subnet
 * starting at the next address aligned to its own size, so a small tier before a large one leaves a gap.
 */
export function addressesNeeded(tiers: readonly TierSize[], azCount: number): number {
  let next = 0;
  for (const tier of tiers) {
    const size = 2 ** (32 - tier.mask);
    for (let zone = 0; zone < azCount; zone++) next = Math.ceil(next / size) * size + size;
  }
  return next;
}

/** The largest prefix length (smallest VPC) whose range holds the tiers. */
export function smallestPrefixFor(tiers: readonly TierSize[], azCount: number): number {
  return 32 - Math.ceil(Math.log2(addressesNeeded(tiers, azCount)));
}
