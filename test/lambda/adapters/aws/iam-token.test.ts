import { Signer } from "@aws-sdk/rds-signer";
import {
  DEFAULT_IAM_TOKEN_CACHE_TTL_MS,
  IamAuthTokenProvider,
  type IamAuthTokenConfig,
} from "../../../../lib/lambda/adapters/aws/iam-token";
import { ConfigurationError } from "../../../../lib/lambda/core/errors";
import { FakeClock } from "./fake-clock";

const HOST = "rds-primary-dev.abc123.ap-southeast-2.rds.amazonaws.com";
/** AWS's documented example key pair: signing is local, so nothing is sent anywhere. */
const FAKE_CREDENTIALS = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const config: IamAuthTokenConfig = {
  hostname: HOST,
  port: 5432,
  region: "ap-southeast-2",
  username: "tap_monitor",
  credentials: FAKE_CREDENTIALS,
};

afterEach(() => jest.restoreAllMocks());

describe("IamAuthTokenProvider", () => {
  it("signs a connect token for host, port, user and region locally", async () => {
    const token = await new IamAuthTokenProvider(config, new FakeClock(0)).token();
    expect(token.startsWith(`${HOST}:5432/?`)).toBe(true);
    const query = new URLSearchParams(token.slice(token.indexOf("?") + 1));
    expect(query.get("Action")).toBe("connect");
    expect(query.get("DBUser")).toBe("tap_monitor");
    expect(query.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(query.get("X-Amz-Credential")).toMatch(
      /^AKIAIOSFODNN7EXAMPLE\/\d{8}\/ap-southeast-2\/rds-db\/aws4_request$/,
    );
    expect(query.get("X-Amz-Expires")).toBe("900");
    expect(query.get("X-Amz-SignedHeaders")).toBe("host");
    expect(query.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("reuses a token for 10 minutes, then signs a new one", async () => {
    const sign = jest.spyOn(Signer.prototype, "getAuthToken");
    const clock = new FakeClock(1_000_000);
    const provider = new IamAuthTokenProvider(config, clock);

    const first = await provider.token();
    clock.advance(DEFAULT_IAM_TOKEN_CACHE_TTL_MS - 1);
    expect(await provider.password()).toBe(first);
    expect(sign).toHaveBeenCalledTimes(1);

    clock.advance(1);
    await provider.token();
    expect(sign).toHaveBeenCalledTimes(2);
  });

  it("shares one signing between concurrent callers", async () => {
    const sign = jest.spyOn(Signer.prototype, "getAuthToken");
    const provider = new IamAuthTokenProvider(config, new FakeClock(0));
    const [a, b, c] = await Promise.all([provider.token(), provider.token(), provider.password()]);
    expect(new Set([a, b, c]).size).toBe(1);
    expect(sign).toHaveBeenCalledTimes(1);
  });

  it("does not cache a failed signing", async () => {
    const sign = jest
      .spyOn(Signer.prototype, "getAuthToken")
      .mockRejectedValueOnce(new Error("Could not load credentials from any providers"))
      .mockResolvedValueOnce("token-2");
    const provider = new IamAuthTokenProvider(config, new FakeClock(0));
    await expect(provider.token()).rejects.toThrow("Could not load credentials from any providers");
    await expect(provider.token()).resolves.toBe("token-2");
    expect(sign).toHaveBeenCalledTimes(2);
  });

  const bad: [situation: string, overrides: Partial<IamAuthTokenConfig>, message: string][] = [
    ["empty host", { hostname: "" }, 'IamAuthTokenProvider hostname must be a non-empty string, got ""'],
    [
      "port 0",
      { port: 0 },
      "IamAuthTokenProvider port must be an integer from 1 to 65535, got 0 (check DB_PORT)",
    ],
    ["empty user", { username: " " }, 'IamAuthTokenProvider username must be a non-empty string, got " "'],
    [
      "a cache as long as the token's life",
      { cacheTtlMs: 15 * 60_000 },
      "IamAuthTokenProvider cacheTtlMs must be an integer from 0 to 899999 (tokens live 15 minutes), got 900000",
    ],
  ];
  it.each(bad)("rejects %s", (_s, overrides, message) => {
    expect(() => new IamAuthTokenProvider({ ...config, ...overrides })).toThrow(ConfigurationError);
    expect(() => new IamAuthTokenProvider({ ...config, ...overrides })).toThrow(message);
  });
});
