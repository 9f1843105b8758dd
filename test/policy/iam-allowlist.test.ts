import { isWildcardOnlyAction } from "@cloud-copilot/iam-simulate";
import {
  ALLOWED_MANAGED_POLICIES,
  WILDCARD_RESOURCE_ACTIONS,
  wildcardResourceAllowed,
} from "../../policy/iam-allowlist";
import { parsePolicyDocument } from "../../policy/model";

/**
 * Entries that the IAM action catalogue says do support resource-level permissions, and the
 * documented reason they are granted on "*" anyway.
 */
const DOCUMENTED_EXCEPTIONS = [
  "ec2:CreateNetworkInterface",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
  "cloudwatch:GetMetricData",
  "cloudwatch:PutMetricData",
  // Optional snapshot/cluster resource types a listing of export tasks cannot match (the allow-list entry says why).
  "rds:DescribeExportTasks",
];

describe("the '*' allow-list", () => {
  it.each(WILDCARD_RESOURCE_ACTIONS.map((a) => a.action))(
    "%s is wildcard-only or a documented exception",
    async (action) => {
      const [service, name] = action.split(":");
      const wildcardOnly = await isWildcardOnlyAction(service, name);
      expect(wildcardOnly || DOCUMENTED_EXCEPTIONS.includes(action)).toBe(true);
      // An exception that became wildcard-only in the catalogue should move out of the exception list.
      expect(wildcardOnly && DOCUMENTED_EXCEPTIONS.includes(action)).toBe(false);
    },
  );

  it("every entry gives a reason", () => {
    expect(WILDCARD_RESOURCE_ACTIONS.filter((a) => a.reason.length < 20)).toEqual([]);
  });

  it.each<[string, boolean]>([
    ["ec2:DescribeSecurityGroups", true],
    ["EC2:describesecuritygroups", true],
    ["rds:PromoteReadReplica", false],
    ["iam:PassRole", false],
    ["s3:GetObject", false],
  ])("wildcardResourceAllowed(%s) is %s", (action, expected) => {
    expect(wildcardResourceAllowed(action)).toBe(expected);
  });

  it.each(Object.keys(ALLOWED_MANAGED_POLICIES))(
    "managed policy %s is a readable document with no data-plane action",
    (arn) => {
      const doc = parsePolicyDocument(ALLOWED_MANAGED_POLICIES[arn].document, arn);
      const actions = doc.Statement.flatMap((s) => s.Action ?? []);
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((a) => !/^(logs|ec2):/.test(a))).toEqual([]);
    },
  );
});
