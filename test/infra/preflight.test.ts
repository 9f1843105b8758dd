import { concurrencyPrerequisite } from "../../lib/infra/preflight";

describe("concurrencyPrerequisite", () => {
  it.each([
    ["the default DR region", "ap-southeast-1", "dev"],
    ["another region and suffix", "eu-west-2", "prod"],
  ])(
    "%s: names the function, the reservation, the limit it needs, the check and the fix",
    (_name, region, suffix) => {
      const text = concurrencyPrerequisite({ drRegion: region, environmentSuffix: suffix });
      expect(text).toBe(
        `Account prerequisite: lambda-failover-${suffix} reserves 1 concurrent execution in ${region}, which Lambda ` +
          "accepts only when the region's concurrency limit is at least 101 (100 must stay unreserved; new accounts may start at 10). " +
          `Check: aws lambda get-account-settings --region ${region} --query AccountLimit.ConcurrentExecutions. ` +
          'Fix if lower: request a higher "Concurrent executions" quota in Service Quotas (Lambda) for that region before pulumi up.',
      );
    },
  );
});
