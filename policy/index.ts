/**
 * TapStack's policy pack: `pulumi preview --policy-pack policy` (optionally with
 * `--policy-pack-config policy/config.<stack>.json`). The policies themselves live in
 * `./policies` so tests and `npm run policy` can use them without starting a pack.
 */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

new PolicyPack("tapstack-guardrails", {
  description:
    "Encryption, TLS, no public exposure, tags, destroyability, backups, monitoring and least-privilege IAM for TapStack.",
  enforcementLevel: "mandatory",
  policies: [...allPolicies],
});
