/**
 * The one-time bootstrap's network, in the primary VPC: the bootstrap function's security group
 * (egress 5432 to the primary's access group, 443 to the endpoint), a Secrets Manager interface
 * endpoint whose policy admits only the bootstrap role reading the master secret, the endpoint's
 * security group (443 from the bootstrap only), and the primary access group's ingress from the
 * bootstrap. Why the bootstrap is a function of its own: `functions.ts`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BuildContext } from "./context";
import { POSTGRES_PORT, subnetIds, type NetworkResult } from "./network";

/** HTTPS, for the Secrets Manager interface endpoint. */
export const HTTPS_PORT = 443;

/**
 * Policy of the Secrets Manager endpoint: only the bootstrap role, only GetSecretValue, only the
 * master secret. Anything else sent through the endpoint is refused before IAM is consulted.
 */
export function secretsEndpointPolicy(bootstrapRoleArn: string, masterSecretArn: string): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "BootstrapReadsMasterSecret",
        Effect: "Allow",
        Principal: { AWS: [bootstrapRoleArn] },
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [masterSecretArn],
      },
    ],
  };
}

/** What the bootstrap's network consists of. */
export interface BootstrapNetwork {
  /** Security group of the bootstrap function in the primary VPC. */
  readonly bootstrapSecurityGroup: aws.ec2.SecurityGroup;
  readonly secretsEndpoint: aws.ec2.VpcEndpoint;
  readonly secretsEndpointSecurityGroup: aws.ec2.SecurityGroup;
}

/** Declares the bootstrap's network for the role `bootstrapRoleArn` and the secret `masterSecretArn`. */
export function buildBootstrapNetwork(
  ctx: BuildContext,
  network: NetworkResult,
  bootstrapRoleArn: pulumi.Input<string>,
  masterSecretArn: pulumi.Input<string>,
): BootstrapNetwork {
  const { config, providers } = ctx;
  const suffix = config.environmentSuffix;
  const opts = { parent: ctx.parent, provider: providers.primary };
  const vpcId = network.primaryVpc.vpc.id;
  const bootstrapSgName = ctx.name("sg-db-bootstrap");
  const bootstrapSecurityGroup = new aws.ec2.SecurityGroup(
    bootstrapSgName,
    {
      vpcId,
      description: `DB bootstrap ${suffix}: egress 5432 to the primary and 443 to the Secrets Manager endpoint only`,
      revokeRulesOnDelete: true,
      tags: ctx.tags("monitoring", bootstrapSgName),
    },
    opts,
  );
  const endpointSgName = ctx.name("sg-secretsmanager-endpoint");
  const secretsEndpointSecurityGroup = new aws.ec2.SecurityGroup(
    endpointSgName,
    {
      vpcId,
      description: `Secrets Manager endpoint ${suffix}: 443 from the DB bootstrap function only`,
      revokeRulesOnDelete: true,
      tags: ctx.tags("monitoring", endpointSgName),
    },
    opts,
  );
  const rule = (
    name: string,
    kind: "ingress" | "egress",
    groupId: pulumi.Input<string>,
    port: number,
    otherGroupId: pulumi.Input<string>,
    description: string,
  ): void => {
    const args = {
      securityGroupId: groupId,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: otherGroupId,
      description,
      tags: ctx.tags("monitoring", name),
    };
    if (kind === "ingress") new aws.vpc.SecurityGroupIngressRule(name, args, opts);
    else new aws.vpc.SecurityGroupEgressRule(name, args, opts);
  };
  // The bootstrap runs next to the primary slot and reaches it through its access group.
  const primaryDbSgId = network.dbSecurityGroups.primary.access.securityGroup.id;
  rule(
    ctx.name("sgr-bootstrap-egress-db"),
    "egress",
    bootstrapSecurityGroup.id,
    POSTGRES_PORT,
    primaryDbSgId,
    "PostgreSQL on the primary",
  );
  rule(
    ctx.name("sgr-bootstrap-egress-endpoint"),
    "egress",
    bootstrapSecurityGroup.id,
    HTTPS_PORT,
    secretsEndpointSecurityGroup.id,
    "Secrets Manager endpoint",
  );
  rule(
    ctx.name("sgr-endpoint-from-bootstrap"),
    "ingress",
    secretsEndpointSecurityGroup.id,
    HTTPS_PORT,
    bootstrapSecurityGroup.id,
    "DB bootstrap function",
  );
  // Same VPC as the primary slot: its access group can name the bootstrap's group (the access
  // group is never touched by fencing).
  const dbFromBootstrap = ctx.name("sgr-db-primary-from-bootstrap");
  new aws.vpc.SecurityGroupIngressRule(
    dbFromBootstrap,
    {
      securityGroupId: primaryDbSgId,
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: bootstrapSecurityGroup.id,
      description: "DB bootstrap function",
      tags: { ...ctx.tags("primary", dbFromBootstrap), "Ingress-Kind": "monitor" },
    },
    opts,
  );
  const endpointName = ctx.name("vpce-secretsmanager-primary");
  const secretsEndpoint = new aws.ec2.VpcEndpoint(
    endpointName,
    {
      vpcId,
      serviceName: `com.amazonaws.${config.primaryRegion}.secretsmanager`,
      vpcEndpointType: "Interface",
      // The SDK's default endpoint name resolves to the endpoint inside the VPC.
      privateDnsEnabled: true,
      subnetIds: subnetIds(network.primaryVpc),
      securityGroupIds: [secretsEndpointSecurityGroup.id],
      policy: pulumi
        .all([bootstrapRoleArn, masterSecretArn])
        .apply(([roleArn, secretArn]) => JSON.stringify(secretsEndpointPolicy(roleArn, secretArn))),
      tags: ctx.tags("monitoring", endpointName),
    },
    opts,
  );
  return { bootstrapSecurityGroup, secretsEndpoint, secretsEndpointSecurityGroup };
}
