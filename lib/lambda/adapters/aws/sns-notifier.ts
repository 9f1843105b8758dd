import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { ConfigurationError, NotificationError } from "../../core/errors";
import type { Notification, Notifier } from "../../core/ports";
import { describeAwsError } from "./aws-errors";

/**
 * SNS rejects a subject with line breaks or control characters, and one of 100 characters or more;
 * email endpoints need it ASCII. https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export const SNS_SUBJECT_MAX_CHARS = 99;

/** SNS message size limit (256 KiB), counted in UTF-8 bytes. */
export const SNS_MESSAGE_MAX_BYTES = 262_144;

const FALLBACK_SUBJECT = "TapStack notification";
const TRUNCATION_MARK = "...";

/**
 * A subject SNS accepts: accents folded to ASCII (é → e), typographic dashes and quotes replaced,
 * line breaks and other whitespace collapsed to one space, any other non-ASCII or control character
 * replaced by `?`, and cut to 99 characters with a trailing `...` when longer.
 */
export function snsSubject(subject: string): string {
  const ascii = subject
    .normalize("NFKD")
    // Combining accents (left by NFKD) and invisible format characters such as soft hyphens.
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/\p{Cf}/gu, "")
    .replace(/[\u2010-\u2015\u2212]/g, "-")
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\u2026/g, "...")
    .replace(/\u2192/g, "->")
    .replace(/\s+/g, " ")
    .replace(/[^\x20-\x7e]/g, "?")
    .trim();
  if (ascii === "") return FALLBACK_SUBJECT;
  if (ascii.length <= SNS_SUBJECT_MAX_CHARS) return ascii;
  return `${ascii.slice(0, SNS_SUBJECT_MAX_CHARS - TRUNCATION_MARK.length).trimEnd()}${TRUNCATION_MARK}`;
}

/**
 * The message body people read in email: the message, the severity and event, then the structured
 * detail as indented JSON. A detail too large for SNS is cut, and the body says so.
 */
export function snsMessage(notification: Notification): string {
  const head = `${notification.message}\n\nSeverity: ${notification.severity}\nEvent: ${notification.event}`;
  if (notification.detail === undefined) return head;
  const detail = JSON.stringify(notification.detail, null, 2);
  const full = `${head}\n\nDetail:\n${detail}`;
  if (Buffer.byteLength(full, "utf8") <= SNS_MESSAGE_MAX_BYTES) return full;
  const note = "\n[detail truncated: the full record is in the failover report]";
  const budget =
    SNS_MESSAGE_MAX_BYTES -
    Buffer.byteLength(`${head}\n\nDetail:\n`, "utf8") -
    Buffer.byteLength(note, "utf8");
  // Cut on bytes; a multi-byte character split at the cut decodes to U+FFFD, which is dropped.
  const cut = Buffer.from(detail, "utf8")
    .subarray(0, Math.max(0, budget))
    .toString("utf8")
    .replace(/\uFFFD+$/, "");
  return `${head}\n\nDetail:\n${cut}${note}`;
}

/**
 * `Notifier` on an SNS topic. `severity` and `event` also go out as message attributes, so
 * subscriptions can filter on them (e.g. page only on `critical`).
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly topicArn: string,
    private readonly sns: SNSClient,
  ) {
    if (
      typeof topicArn !== "string" ||
      !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(topicArn)
    ) {
      throw new ConfigurationError(
        `SnsNotifier topicArn must be an SNS topic ARN like "arn:aws:sns:ap-southeast-1:123456789012:dr-events-dev", got ${JSON.stringify(topicArn)} (check ALERT_TOPIC_ARN)`,
      );
    }
  }

  /** Publish one notification; throws `NotificationError` with the SNS error as `cause`. */
  async notify(notification: Notification): Promise<void> {
    try {
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: snsSubject(notification.subject),
          Message: snsMessage(notification),
          MessageAttributes: {
            severity: { DataType: "String", StringValue: notification.severity },
            event: { DataType: "String", StringValue: notification.event },
          },
        }),
      );
    } catch (err) {
      throw new NotificationError(
        `Publishing "${notification.event}" to ${this.topicArn} failed: ${describeAwsError(err)}`,
        { cause: err },
      );
    }
  }
}
