import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import {
  SNS_MESSAGE_MAX_BYTES,
  SnsNotifier,
  snsMessage,
  snsSubject,
} from "../../../../lib/lambda/adapters/aws/sns-notifier";
import { ConfigurationError, NotificationError } from "../../../../lib/lambda/core/errors";
import type { Notification } from "../../../../lib/lambda/core/ports";
import { awsError } from "./fake-clock";

const sns = mockClient(SNSClient);
const TOPIC = "arn:aws:sns:ap-southeast-1:123456789012:dr-events-dev";

beforeEach(() => sns.reset());

describe("snsSubject", () => {
  const table: [situation: string, input: string, expected: string][] = [
    ["plain ASCII is kept", "Failover started: rds-primary-dev", "Failover started: rds-primary-dev"],
    ["line breaks become one space", "Failover failed\r\n  at promote", "Failover failed at promote"],
    ["accents are folded and soft hyphens dropped", "R\u00e9pli\u00adca promue", "Replica promue"],
    ["typographic dashes and arrows become ASCII", "writer → replica — done…", "writer -> replica - done..."],
    ["other non-ASCII becomes ?", "DR ✅ ok", "DR ? ok"],
    ["control characters go", "a\u0007b", "a?b"],
    ["empty falls back", " \n ", "TapStack notification"],
  ];
  it.each(table)("%s", (_s, input, expected) => expect(snsSubject(input)).toBe(expected));

  it("cuts to 99 characters with a trailing ...", () => {
    const subject = snsSubject(`Failover blocked ${"x".repeat(200)}`);
    expect(subject).toHaveLength(99);
    expect(subject.endsWith("x...")).toBe(true);
    expect(snsSubject("y".repeat(99))).toBe("y".repeat(99));
  });
});

describe("snsMessage", () => {
  const base: Notification = {
    subject: "s",
    severity: "critical",
    event: "failover-failed",
    message: "Promotion of rds-replica-dev failed.",
  };

  it("renders message, severity, event and indented JSON detail", () => {
    expect(snsMessage({ ...base, detail: { step: "promote-replica", lagSeconds: 2 } })).toBe(
      "Promotion of rds-replica-dev failed.\n\nSeverity: critical\nEvent: failover-failed\n\nDetail:\n" +
        '{\n  "step": "promote-replica",\n  "lagSeconds": 2\n}',
    );
  });

  it("leaves out the detail section when there is none", () => {
    expect(snsMessage(base)).toBe(
      "Promotion of rds-replica-dev failed.\n\nSeverity: critical\nEvent: failover-failed",
    );
  });

  it("cuts a detail that would exceed the SNS size limit and says so", () => {
    const body = snsMessage({ ...base, detail: { log: "é".repeat(SNS_MESSAGE_MAX_BYTES) } });
    expect(Buffer.byteLength(body, "utf8")).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    expect(body.endsWith("\n[detail truncated: the full record is in the failover report]")).toBe(true);
    expect(body.startsWith("Promotion of rds-replica-dev failed.\n\nSeverity: critical")).toBe(true);
  });
});

describe("SnsNotifier", () => {
  it("publishes subject, body and filterable attributes to the topic", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    await new SnsNotifier(TOPIC, new SNSClient({ region: "ap-southeast-1" })).notify({
      subject: "Failover succeeded:\nwriter → rds-replica-dev",
      severity: "info",
      event: "failover-succeeded",
      message: "Writer switched.",
      detail: { rtoSeconds: 212.4 },
    });
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: "Failover succeeded: writer -> rds-replica-dev",
        Message:
          'Writer switched.\n\nSeverity: info\nEvent: failover-succeeded\n\nDetail:\n{\n  "rtoSeconds": 212.4\n}',
        MessageAttributes: {
          severity: { DataType: "String", StringValue: "info" },
          event: { DataType: "String", StringValue: "failover-succeeded" },
        },
      },
    ]);
  });

  it("throws NotificationError with the cause when SNS refuses", async () => {
    const denied = awsError("AuthorizationError", "not authorized to publish", 403);
    sns.on(PublishCommand).rejects(denied);
    const sending = new SnsNotifier(TOPIC, new SNSClient({ region: "ap-southeast-1" })).notify({
      subject: "x",
      severity: "warning",
      event: "failover-blocked",
      message: "m",
    });
    await expect(sending).rejects.toThrow(NotificationError);
    await expect(sending).rejects.toMatchObject({
      message: `Publishing "failover-blocked" to ${TOPIC} failed: AuthorizationError: not authorized to publish (HTTP 403)`,
      cause: denied,
    });
  });

  it("rejects a topic that is not an SNS topic ARN", () => {
    const build = () => new SnsNotifier("dr-events-dev", new SNSClient({ region: "ap-southeast-1" }));
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(
      'SnsNotifier topicArn must be an SNS topic ARN like "arn:aws:sns:ap-southeast-1:123456789012:dr-events-dev", got "dr-events-dev" (check ALERT_TOPIC_ARN)',
    );
  });
});
