import { Signer, type SignerConfig } from "@aws-sdk/rds-signer";
import { ConfigurationError } from "../../core/errors";
import type { Clock } from "../../core/ports";
import { systemClock } from "./system-clock";

/** Who signs in where with IAM database authentication. */
export interface IamAuthTokenConfig {
  /** The endpoint address the client connects to (the token is bound to host and port). */
  readonly hostname: string;
  readonly port: number;
  /** Region of the DB instance (not of the caller). */
  readonly region: string;
  /** Database role that has `rds_iam`. */
  readonly username: string;
  /** Credentials to sign with; the default provider chain (the Lambda role) when omitted. */
  readonly credentials?: SignerConfig["credentials"];
  /** How long a token is reused. Default 10 minutes; must stay below the token's 15-minute life. */
  readonly cacheTtlMs?: number;
}

/** RDS IAM authentication tokens are valid for 15 minutes after signing. */
export const IAM_TOKEN_LIFETIME_MS = 15 * 60_000;
/** Reuse a token for 10 minutes, leaving 5 for connection attempts that start just before expiry. */
export const DEFAULT_IAM_TOKEN_CACHE_TTL_MS = 10 * 60_000;

/**
 * IAM database authentication tokens for one host, port and user, signed with SigV4 locally: no
 * network call, so a monitor in a VPC without NAT or endpoints can still authenticate. A token is
 * reused for `cacheTtlMs`; concurrent callers share one signing; a failed signing is not cached.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Connecting.html
 */
export class IamAuthTokenProvider {
  private readonly signer: Signer;
  private readonly cacheTtlMs: number;
  private cached: { readonly token: Promise<string>; readonly signedAtMs: number } | undefined;

  constructor(
    config: IamAuthTokenConfig,
    private readonly clock: Pick<Clock, "nowMs"> = systemClock,
  ) {
    for (const key of ["hostname", "region", "username"] as const) {
      if (typeof config[key] !== "string" || config[key].trim() === "") {
        throw new ConfigurationError(
          `IamAuthTokenProvider ${key} must be a non-empty string, got ${JSON.stringify(config[key])}`,
        );
      }
    }
    if (!Number.isInteger(config.port) || config.port < 1 || config.port > 65_535) {
      throw new ConfigurationError(
        `IamAuthTokenProvider port must be an integer from 1 to 65535, got ${JSON.stringify(config.port)} (check DB_PORT)`,
      );
    }
    const ttl = config.cacheTtlMs ?? DEFAULT_IAM_TOKEN_CACHE_TTL_MS;
    if (!Number.isInteger(ttl) || ttl < 0 || ttl >= IAM_TOKEN_LIFETIME_MS) {
      throw new ConfigurationError(
        `IamAuthTokenProvider cacheTtlMs must be an integer from 0 to ${IAM_TOKEN_LIFETIME_MS - 1} (tokens live 15 minutes), got ${JSON.stringify(config.cacheTtlMs)}`,
      );
    }
    this.cacheTtlMs = ttl;
    this.signer = new Signer({
      hostname: config.hostname,
      port: config.port,
      region: config.region,
      username: config.username,
      ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
    });
  }

  /** A valid token: the cached one while it is younger than `cacheTtlMs`, else a freshly signed one. */
  token(): Promise<string> {
    const nowMs = this.clock.nowMs();
    if (this.cached !== undefined && nowMs - this.cached.signedAtMs < this.cacheTtlMs)
      return this.cached.token;
    const token = this.signer.getAuthToken();
    const entry = { token, signedAtMs: nowMs };
    this.cached = entry;
    token.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return token;
  }

  /** `token` as a function, in the shape `pg` and the probe adapter take for `password`. */
  readonly password = (): Promise<string> => this.token();
}
