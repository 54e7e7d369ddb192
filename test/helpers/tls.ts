/** Test certificates for real local TLS servers (HTTPS sources, token endpoints, PostgreSQL). */
import { generate } from 'selfsigned';

export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

/** A self-signed certificate valid for 127.0.0.1 (and, unless `hosts` says otherwise, localhost). */
export async function selfSignedCertificate(hosts: { dns?: string[]; ips?: string[] } = {}): Promise<TestCertificate> {
  const dns = hosts.dns ?? ['localhost'];
  const ips = hosts.ips ?? ['127.0.0.1'];
  const pems = await generate([{ name: 'commonName', value: dns[0] ?? ips[0] ?? 'test' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 60_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...dns.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
