import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM file paths of one certificate and its key. */
export interface CertFiles {
  cert: string;
  key: string;
}

/** A throwaway certificate authority made with openssl, in its own temp directory. */
export interface TestCa extends CertFiles {
  dir: string;
  /** a server certificate for localhost, 127.0.0.1 and ::1 */
  server(name?: string): CertFiles;
  /** a client certificate whose subject CN is `cn` */
  client(cn: string): CertFiles;
  /** the CA certificate's PEM text */
  pem(): string;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-ca-'));
  const ca = { cert: join(dir, 'ca.pem'), key: join(dir, 'ca-key.pem') };
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    ca.key,
    '-out',
    ca.cert,
    '-days',
    '2',
    '-subj',
    '/CN=akosha test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let serial = 1;
  const issue = (name: string, cn: string, ext: string): CertFiles => {
    const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
    const csr = join(dir, `${name}.csr`);
    const extFile = join(dir, `${name}.ext`);
    writeFileSync(extFile, ext);
    openssl([
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      files.key,
      '-out',
      csr,
      '-subj',
      `/CN=${cn}`,
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      String(serial++),
      '-days',
      '2',
      '-out',
      files.cert,
      '-extfile',
      extFile,
    ]);
    return files;
  };
  return {
    ...ca,
    dir,
    server: (name = 'server') =>
      issue(
        name,
        'localhost',
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n',
      ),
    client: (cn) => issue(`client-${cn.replace(/\W/g, '_')}`, cn, 'extendedKeyUsage=clientAuth\n'),
    pem: () => readFileSync(ca.cert, 'utf8'),
  };
}
