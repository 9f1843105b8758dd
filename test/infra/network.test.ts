import { dbIngressSources } from "../../lib/infra/network";

describe("dbIngressSources", () => {
  it.each([
    [
      "no client CIDRs: only the monitor subnets",
      { drVpcCidr: "10.30.0.0/16", allowedClientCidrs: [] },
      [
        { cidr: "10.30.0.0/18", kind: "monitor", description: "health monitor, DR subnet 1" },
        { cidr: "10.30.64.0/18", kind: "monitor", description: "health monitor, DR subnet 2" },
      ],
    ],
    [
      "client networks follow the monitor subnets, in config order",
      { drVpcCidr: "10.30.0.0/16", allowedClientCidrs: ["10.20.0.0/16", "192.168.0.0/24"] },
      [
        { cidr: "10.30.0.0/18", kind: "monitor", description: "health monitor, DR subnet 1" },
        { cidr: "10.30.64.0/18", kind: "monitor", description: "health monitor, DR subnet 2" },
        { cidr: "10.20.0.0/16", kind: "client", description: "database clients 10.20.0.0/16" },
        { cidr: "192.168.0.0/24", kind: "client", description: "database clients 192.168.0.0/24" },
      ],
    ],
    [
      "a client CIDR equal to a monitor subnet stays a monitor rule, so fencing keeps it",
      { drVpcCidr: "10.30.0.0/16", allowedClientCidrs: ["10.30.0.0/18", "10.30.0.0/18"] },
      [
        { cidr: "10.30.0.0/18", kind: "monitor", description: "health monitor, DR subnet 1" },
        { cidr: "10.30.64.0/18", kind: "monitor", description: "health monitor, DR subnet 2" },
      ],
    ],
  ])("%s", (_situation, config, expected) => {
    expect(dbIngressSources(config)).toEqual(expected);
  });
});
