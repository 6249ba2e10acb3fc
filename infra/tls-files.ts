import { readFileSync } from 'node:fs';

/** A certificate or CA file named by a setting could not be used; says which setting and why. */
export class TlsFileError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'TlsFileError';
  }
}

/**
 * The PEM file a setting names, read at start so that a wrong path fails there with the
 * setting's name rather than at the first connection. The message names the file and the
 * reason, never its content (a key file holds a secret).
 */
export function readPemFile(setting: string, path: string): Buffer {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new TlsFileError(setting, `cannot read ${path} (${code})`);
  }
  if (!text.includes('-----BEGIN ')) {
    throw new TlsFileError(setting, `${path} holds no PEM block`);
  }
  return text;
}

/** Node's codes for a peer certificate that does not verify against the trusted CAs. */
const CERT_ERROR_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

/**
 * OpenSSL's texts for those codes: some wrappers keep only the message (the AWS SDK does for
 * an error it does not recognise as an Error).
 */
const CERT_ERROR_TEXTS: [RegExp, string][] = [
  [/self[- ]signed certificate in certificate chain/, 'SELF_SIGNED_CERT_IN_CHAIN'],
  [/self[- ]signed certificate/, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  [/unable to verify the first certificate/, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  [/unable to get local issuer certificate/, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  [/certificate has expired/, 'CERT_HAS_EXPIRED'],
];

/** The certificate-check code of an error or of one of its causes, if it has one. */
export function certErrorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CERT_ERROR_CODES.has(code)) return code;
    const message = String((e as { message?: unknown }).message ?? '');
    const known = CERT_ERROR_TEXTS.find(([text]) => text.test(message));
    if (known) return known[1];
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A sentence for the log when a server's certificate is not trusted: which setting names
 * the CA that would trust it. Undefined when the error is not a certificate error.
 */
export function explainCertError(err: unknown, caSetting: string): string | undefined {
  const code = certErrorCode(err);
  if (!code) return undefined;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `server certificate does not name the host connected to (${code})`;
  }
  return (
    `server certificate not trusted (${code}): set ${caSetting} to the PEM file of the CA ` +
    'that signed it, or add that CA with NODE_EXTRA_CA_CERTS'
  );
}

/**
 * `err` itself, or — for a certificate that does not verify — an error that says which
 * setting fixes it, keeping the code and the original as its cause.
 */
export function withCertAdvice(err: unknown, caSetting: string): unknown {
  const advice = explainCertError(err, caSetting);
  if (!advice) return err;
  return Object.assign(new Error(advice, { cause: err }), { code: certErrorCode(err) });
}
