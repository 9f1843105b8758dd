import { privateSubnetCidrs } from "../../lib/config";
import { SUBNETS_PER_VPC, dbIngressSources, monitorSubnetCidrs } from "../../lib/infra/network";

describe("dbIngressSources", () => {
  it.each([
    [
      "no client CIDRs: only the monitor subnets",
      { drVpcCidr: "10.30.0.0/16", allowedClientCidrs: [] },
      [
        { cidr: "10.30.128.0/28", kind: "monitor", description: "health monitor, DR monitor subnet 1" },
        { cidr: "10.30.128.16/28", kind: "monitor", description: "health monitor, DR monitor subnet 2" },
      ],
    ],
    [
      "client networks follow the monitor subnets, in config order",
      { drVpcCidr: "10.30.0.0/16", allowedClientCidrs: ["10.20.0.0/16", "192.168.0.0/24"] },
      [
        { cidr: "10.30.128.0/28", kind: "monitor", description: "health monitor, DR monitor subnet 1" },
        { cidr: "10.30.128.16/28", kind: "monitor", description: "health monitor, DR monitor subnet 2" },
        { cidr: "10.20.0.0/16", kind: "client", description: "database clients 10.20.0.0/16" },
        { cidr: "192.168.0.0/24", kind: "client", description: "database clients 192.168.0.0/24" },
      ],
    ],
    [
      "a client CIDR equal to a monitor subnet stays a monitor rule, so fencing keeps it",
      { drVpcCidr: "10.30.0.0/16", allowedClientCidrs: ["10.30.128.0/28", "10.30.128.0/28"] },
      [
        { cidr: "10.30.128.0/28", kind: "monitor", description: "health monitor, DR monitor subnet 1" },
        { cidr: "10.30.128.16/28", kind: "monitor", description: "health monitor, DR monitor subnet 2" },
      ],
    ],
  ])("%s", (_situation, config, expected) => {
    expect(dbIngressSources(config)).toEqual(expected);
  });
});

describe("monitorSubnetCidrs: two /28 at the start of the DR VPC's third quarter", () => {
  it.each([
    ["/16", "10.30.0.0/16", ["10.30.128.0/28", "10.30.128.16/28"]],
    ["/20", "172.16.16.0/20", ["172.16.24.0/28", "172.16.24.16/28"]],
    ["/26, the smallest VPC config accepts", "10.30.0.0/26", ["10.30.0.32/28", "10.30.0.48/28"]],
  ])("%s", (_s, vpc, expected) => {
    expect(monitorSubnetCidrs(vpc)).toEqual(expected);
  });
  it.each(["10.30.0.0/16", "10.30.0.0/22", "10.30.0.0/26"])(
    "never overlaps the private subnets of %s",
    (vpc) => {
      const toRange = (cidr: string): [number, number] => {
        const [ip, len] = cidr.split("/");
        const n = ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
        return [n, n + 2 ** (32 - Number(len)) - 1];
      };
      const privateRanges = privateSubnetCidrs(vpc, SUBNETS_PER_VPC).map(toRange);
      for (const [start, end] of monitorSubnetCidrs(vpc).map(toRange)) {
        for (const [pStart, pEnd] of privateRanges) expect(end < pStart || start > pEnd).toBe(true);
        expect(toRange(vpc)[0] <= start && end <= toRange(vpc)[1]).toBe(true);
      }
    },
  );
  it("refuses a VPC too small to hold them", () => {
    expect(() => monitorSubnetCidrs("10.30.0.0/27")).toThrow(
      "VPC CIDR 10.30.0.0/27 is smaller than /26: no room for the monitor subnets; use /16../26",
    );
  });
});
