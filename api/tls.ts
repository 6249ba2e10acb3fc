import { createSecureContext, type TLSSocket } from 'node:tls';
import type { ServerOptions } from 'node:https';
import type { FastifyRequest } from 'fastify';
import { type HttpTlsConfig, readPemFile, TlsFileError } from '../infra';

/**
 * Options of the https listener: certificate and key from their PEM files, TLS 1.2 at
 * least, and with a client CA, mutual TLS — a client must present a certificate signed by
 * that CA or the handshake is refused. Files are read and checked here, at start.
 */
export function httpsOptions(tls: HttpTlsConfig): ServerOptions {
  if (!tls.key) {
    throw new TlsFileError('AKOSHA_HTTP_TLS_KEY', 'must be set together with AKOSHA_HTTP_TLS_CERT');
  }
  const cert = readPemFile('AKOSHA_HTTP_TLS_CERT', tls.cert);
  const key = readPemFile('AKOSHA_HTTP_TLS_KEY', tls.key);
  const ca = tls.clientCa ? readPemFile('AKOSHA_HTTP_TLS_CLIENT_CA', tls.clientCa) : undefined;
  const options: ServerOptions = { cert, key, minVersion: 'TLSv1.2' };
  if (ca) Object.assign(options, { ca, requestCert: true, rejectUnauthorized: true });
  try {
    createSecureContext(options); // a key that does not match the certificate fails here
  } catch (err) {
    const reason = (err as { code?: string }).code ?? 'invalid certificate or key';
    throw new TlsFileError(
      'AKOSHA_HTTP_TLS_CERT',
      `${tls.cert} and AKOSHA_HTTP_TLS_KEY ${tls.key} do not form a usable pair (${reason})`,
    );
  }
  return options;
}

/**
 * The subject CN of the client certificate of this request's connection, only when the
 * certificate was verified against the client CA (mutual TLS); else undefined.
 */
export function peerCertCN(request: FastifyRequest): string | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') {
    return undefined;
  }
  const cn: unknown = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

/**
 * Fastify's `https` option for the listener, or nothing for plain HTTP. Spread into the
 * Fastify options; the instance keeps Fastify's plain-HTTP types (the routes are the same).
 */
export function httpsServerOption(tls: HttpTlsConfig | undefined): { https?: ServerOptions } {
  return tls ? { https: httpsOptions(tls) } : {};
}
