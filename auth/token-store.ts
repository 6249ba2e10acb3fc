import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SystemId } from '../schemas';
import { withFileLock } from './file-lock';
import { ACCESS_ROLES, type AccessRole } from './principal';

/** Every token starts with this, so that a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = 'akosha_';
const TOKEN_BYTES = 32;

export const TokenName = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]{1,100}$/, 'token name must match ^[A-Za-z0-9_.@-]{1,100}$');

const Systems = z.union([z.literal('*'), z.array(SystemId)]);

const TokenEntry = z.object({
  name: TokenName,
  role: z.enum(ACCESS_ROLES),
  systems: Systems,
  /** sha256 of the token, hex; the token itself is never stored */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.string(),
});
export type TokenEntry = z.infer<typeof TokenEntry>;

const TokenFile = z.object({ version: z.literal(1), tokens: z.array(TokenEntry) });

/** What `token list` and `GET /api/v1/tokens` show: never the hash. */
export interface TokenSummary {
  name: string;
  role: AccessRole;
  systems: '*' | string[];
  created_at: string;
}

export class TokenFileError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid_file' | 'duplicate_name' | 'unknown_name' | 'invalid_input',
  ) {
    super(message);
    this.name = 'TokenFileError';
  }
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The entries of `file`; none when it does not exist. Throws TokenFileError when it is not valid. */
export function readTokenFile(file: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TokenFileError(`${file} is not valid JSON`, 'invalid_file');
  }
  const parsed = TokenFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TokenFileError(
      `${file} is not a token file: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      'invalid_file',
    );
  }
  const names = new Set<string>();
  for (const entry of parsed.data.tokens) {
    if (names.has(entry.name))
      throw new TokenFileError(`${file} names "${entry.name}" twice`, 'duplicate_name');
    names.add(entry.name);
  }
  return parsed.data.tokens;
}

/** Writes atomically (temp file + rename), mode 0600 in a 0700 directory. */
export function writeTokenFile(file: string, tokens: readonly TokenEntry[]): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ version: 1, tokens }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600); // the umask may have narrowed it differently
  renameSync(temp, file);
}

export interface NewToken {
  name: string;
  role: AccessRole;
  systems: '*' | string[];
}

/** Adds a token; returns the token text, which exists nowhere else afterwards. */
export function createToken(
  file: string,
  spec: NewToken,
  now = new Date(),
): { token: string; entry: TokenEntry } {
  const input = z
    .object({ name: TokenName, role: z.enum(ACCESS_ROLES), systems: Systems })
    .safeParse(spec);
  if (!input.success)
    throw new TokenFileError(input.error.issues[0]?.message ?? 'invalid token', 'invalid_input');
  const token = generateToken();
  const entry: TokenEntry = {
    name: input.data.name,
    role: input.data.role,
    systems: input.data.systems === '*' ? '*' : [...new Set(input.data.systems)],
    sha256: hashToken(token),
    created_at: now.toISOString(),
  };
  editTokenFile(file, (tokens) => {
    if (tokens.some((t) => t.name === spec.name))
      throw new TokenFileError(`a token named "${spec.name}" exists already`, 'duplicate_name');
    return [...tokens, entry];
  });
  return { token, entry };
}

export function revokeToken(file: string, name: string): void {
  editTokenFile(file, (tokens) => {
    const kept = tokens.filter((t) => t.name !== name);
    if (kept.length === tokens.length)
      throw new TokenFileError(`no token is named "${name}"`, 'unknown_name');
    return kept;
  });
}

/** Read, change, write, under the file's lock: concurrent commands never lose an edit. */
function editTokenFile(file: string, change: (tokens: TokenEntry[]) => TokenEntry[]): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  withFileLock(file, () => writeTokenFile(file, change(readTokenFile(file))));
}

export function summarise(entry: TokenEntry): TokenSummary {
  const { name, role, systems, created_at } = entry;
  return { name, role, systems: systems === '*' ? '*' : [...systems], created_at };
}

export function listTokens(file: string): TokenSummary[] {
  return readTokenFile(file).map(summarise);
}

/** Any file identity change (rename → new inode, write → mtime/size) means: read it again. */
export function fileStamp(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}
