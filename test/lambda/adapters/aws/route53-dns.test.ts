import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { mockClient } from "aws-sdk-client-mock";
import {
  Route53Dns,
  fullyQualified,
  hostTarget,
  type Route53DnsConfig,
} from "../../../../lib/lambda/adapters/aws/route53-dns";
import { ConfigurationError, DnsChangeError, WaitTimeoutError } from "../../../../lib/lambda/core/errors";
import { FakeClock, awsError, networkError } from "./fake-clock";

const route53 = mockClient(Route53Client);
const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const NEW_PRIMARY = "rds-replica-dev.abc.ap-southeast-2.rds.amazonaws.com";

const config: Route53DnsConfig = {
  hostedZoneId: "/hostedzone/Z0123456789ABC",
  writerRecordName: "Writer.DB.internal",
  readerRecordName: "reader.db.internal.",
  ttlSeconds: 30,
  pollIntervalMs: 5_000,
};

function dns(clock = new FakeClock(T0), overrides: Partial<Route53DnsConfig> = {}) {
  return new Route53Dns({ ...config, ...overrides }, new Route53Client({ region: "ap-southeast-1" }), clock);
}

beforeEach(() => route53.reset());

describe("name normalisation", () => {
  const names: [input: string, fqdn: string, target: string][] = [
    ["writer.db.internal", "writer.db.internal.", "writer.db.internal"],
    ["writer.db.internal.", "writer.db.internal.", "writer.db.internal"],
    [" Writer.DB.Internal ", "writer.db.internal.", "writer.db.internal"],
  ];
  it.each(names)("%j → %j / %j", (input, fqdn, target) => {
    expect(fullyQualified(input)).toBe(fqdn);
    expect(hostTarget(input)).toBe(target);
  });
});

describe("Route53Dns.read", () => {
  it("lists each CNAME from its own name and returns targets without the trailing dot", async () => {
    route53.on(ListResourceRecordSetsCommand).callsFake((input: { StartRecordName: string }) => ({
      IsTruncated: true,
      ResourceRecordSets: [
        {
          Name: input.StartRecordName,
          Type: "CNAME",
          TTL: 30,
          ResourceRecords: [
            {
              Value: input.StartRecordName.startsWith("writer")
                ? "Primary.Example.com."
                : "replica.example.com",
            },
          ],
        },
      ],
    }));
    await expect(dns().read()).resolves.toEqual({
      writerTarget: "primary.example.com",
      readerTarget: "replica.example.com",
    });
    expect(route53.commandCalls(ListResourceRecordSetsCommand).map((c) => c.args[0].input)).toEqual([
      {
        HostedZoneId: "Z0123456789ABC",
        StartRecordName: "writer.db.internal.",
        StartRecordType: "CNAME",
        MaxItems: 1,
      },
      {
        HostedZoneId: "Z0123456789ABC",
        StartRecordName: "reader.db.internal.",
        StartRecordType: "CNAME",
        MaxItems: 1,
      },
    ]);
  });

  it("returns null for a missing record even though Route 53 lists the next name instead", async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({
      IsTruncated: false,
      ResourceRecordSets: [
        { Name: "zz.db.internal.", Type: "CNAME", ResourceRecords: [{ Value: "other.example.com" }] },
      ],
    });
    await expect(dns().read()).resolves.toEqual({ writerTarget: null, readerTarget: null });
  });

  it("returns null when the name exists with another type", async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({
      IsTruncated: false,
      ResourceRecordSets: [{ Name: "writer.db.internal.", Type: "TXT", ResourceRecords: [{ Value: '"x"' }] }],
    });
    await expect(dns().read()).resolves.toEqual({ writerTarget: null, readerTarget: null });
  });

  it("throws DnsChangeError with the cause when Route 53 cannot be read", async () => {
    const throttled = awsError("Throttling", "Rate exceeded", 400);
    route53.on(ListResourceRecordSetsCommand).rejects(throttled);
    const reading = dns().read();
    await expect(reading).rejects.toThrow(DnsChangeError);
    await expect(reading).rejects.toMatchObject({
      message:
        "Reading writer.db.internal. in hosted zone Z0123456789ABC failed: Throttling: Rate exceeded (HTTP 400)",
      cause: throttled,
    });
  });
});

describe("Route53Dns.setWriter", () => {
  function changeAccepted() {
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: "/change/C2682N5HXP0BZ4", Status: "PENDING", SubmittedAt: new Date(T0) },
    });
  }

  it("UPSERTs a CNAME with the configured TTL, then polls GetChange from PENDING to INSYNC", async () => {
    changeAccepted();
    route53
      .on(GetChangeCommand)
      .resolvesOnce({
        ChangeInfo: { Id: "/change/C2682N5HXP0BZ4", Status: "PENDING", SubmittedAt: new Date(T0) },
      })
      .resolves({
        ChangeInfo: { Id: "/change/C2682N5HXP0BZ4", Status: "INSYNC", SubmittedAt: new Date(T0) },
      });
    const clock = new FakeClock(T0);

    await dns(clock).setWriter(`${NEW_PRIMARY.toUpperCase()}.`, 120_000);

    expect(route53.commandCalls(ChangeResourceRecordSetsCommand).map((c) => c.args[0].input)).toEqual([
      {
        HostedZoneId: "Z0123456789ABC",
        ChangeBatch: {
          Comment: `TapStack: point writer.db.internal. at ${NEW_PRIMARY}`,
          Changes: [
            {
              Action: "UPSERT",
              ResourceRecordSet: {
                Name: "writer.db.internal.",
                Type: "CNAME",
                TTL: 30,
                ResourceRecords: [{ Value: NEW_PRIMARY }],
              },
            },
          ],
        },
      },
    ]);
    expect(route53.commandCalls(GetChangeCommand).map((c) => c.args[0].input)).toEqual([
      { Id: "C2682N5HXP0BZ4" },
      { Id: "C2682N5HXP0BZ4" },
    ]);
    expect(clock.sleeps).toEqual([5_000]);
  });

  it("writes the reader record through setReader", async () => {
    route53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: "C1", Status: "INSYNC", SubmittedAt: new Date(T0) } });
    await dns().setReader("old-primary.example.com", 60_000);
    const input = route53.commandCalls(ChangeResourceRecordSetsCommand)[0].args[0].input;
    expect(input.ChangeBatch?.Changes?.[0].ResourceRecordSet).toEqual({
      Name: "reader.db.internal.",
      Type: "CNAME",
      TTL: 30,
      ResourceRecords: [{ Value: "old-primary.example.com" }],
    });
    expect(route53.commandCalls(GetChangeCommand)).toHaveLength(0);
  });

  it("keeps polling through throttling while waiting", async () => {
    changeAccepted();
    route53
      .on(GetChangeCommand)
      .rejectsOnce(awsError("Throttling", "Rate exceeded", 400))
      .rejectsOnce(networkError("ECONNRESET"))
      .resolves({ ChangeInfo: { Id: "C2682N5HXP0BZ4", Status: "INSYNC", SubmittedAt: new Date(T0) } });
    const clock = new FakeClock(T0);
    await expect(dns(clock).setWriter(NEW_PRIMARY, 60_000)).resolves.toBeUndefined();
    expect(route53.commandCalls(GetChangeCommand)).toHaveLength(3);
  });

  it("throws WaitTimeoutError when the change never syncs, bounded by the timeout", async () => {
    changeAccepted();
    route53.on(GetChangeCommand).resolves({
      ChangeInfo: { Id: "/change/C2682N5HXP0BZ4", Status: "PENDING", SubmittedAt: new Date(T0) },
    });
    const clock = new FakeClock(T0);
    const switching = dns(clock).setWriter(NEW_PRIMARY, 12_000);
    await expect(switching).rejects.toThrow(WaitTimeoutError);
    await expect(switching).rejects.toThrow(
      `Timed out after 12000 ms waiting for Route 53 change C2682N5HXP0BZ4 (writer.db.internal. → ${NEW_PRIMARY}) ` +
        "to be INSYNC (4 checks); last state: PENDING",
    );
    expect(clock.sleeps).toEqual([5_000, 5_000, 2_000]);
    expect(clock.nowMs() - T0).toBe(12_000);
  });

  it("throws DnsChangeError with the cause when the change is refused", async () => {
    const invalid = awsError(
      "InvalidChangeBatch",
      "RRSet of type CNAME with DNS name writer.db.internal. is not permitted",
      400,
    );
    route53.on(ChangeResourceRecordSetsCommand).rejects(invalid);
    const switching = dns().setWriter(NEW_PRIMARY, 60_000);
    await expect(switching).rejects.toThrow(DnsChangeError);
    await expect(switching).rejects.toMatchObject({
      message:
        `Pointing writer.db.internal. at ${NEW_PRIMARY} failed: InvalidChangeBatch: ` +
        "RRSet of type CNAME with DNS name writer.db.internal. is not permitted (HTTP 400)",
      cause: invalid,
    });
    expect(route53.commandCalls(GetChangeCommand)).toHaveLength(0);
  });

  it("throws DnsChangeError when GetChange is refused", async () => {
    changeAccepted();
    route53.on(GetChangeCommand).rejects(awsError("AccessDenied", "no route53:GetChange", 403));
    await expect(dns().setWriter(NEW_PRIMARY, 60_000)).rejects.toThrow(
      "Checking change C2682N5HXP0BZ4 for writer.db.internal. failed: AccessDenied: no route53:GetChange (HTTP 403)",
    );
  });

  const badTargets: [situation: string, target: string][] = [
    ["empty", ""],
    ["a URL", "https://db.example.com"],
    ["a bare label", "localhost"],
  ];
  it.each(badTargets)("refuses a target that is not a host name: %s", async (_s, target) => {
    await expect(dns().setWriter(target, 60_000)).rejects.toThrow(
      `Refusing to point writer.db.internal. at ${JSON.stringify(target)}: the target must be a host name`,
    );
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });
});

describe("Route53Dns configuration", () => {
  const bad: [situation: string, overrides: Partial<Route53DnsConfig>, message: string][] = [
    [
      "zone name instead of id",
      { hostedZoneId: "db.internal" },
      'hostedZoneId must be a hosted zone id like "Z0123456789ABC", got "db.internal" (check HOSTED_ZONE_ID)',
    ],
    [
      "writer name that is not a host name",
      { writerRecordName: "writer" },
      'writerRecordName must be a fully-qualified name like "writer.db.internal.", got "writer" (check WRITER_RECORD_NAME)',
    ],
    ["reader name with a space", { readerRecordName: "read er.db.internal" }, "(check READER_RECORD_NAME)"],
    [
      "negative TTL",
      { ttlSeconds: -30 },
      "ttlSeconds must be a non-negative integer, got -30 (check DNS_TTL_SECONDS)",
    ],
    ["zero poll interval", { pollIntervalMs: 0 }, "pollIntervalMs must be a positive integer, got 0"],
  ];
  it.each(bad)("rejects %s", (_s, overrides, message) => {
    expect(() => dns(new FakeClock(T0), overrides)).toThrow(ConfigurationError);
    expect(() => dns(new FakeClock(T0), overrides)).toThrow(message);
  });
});
