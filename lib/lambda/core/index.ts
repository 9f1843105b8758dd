/**
 * The failover engine's domain core: types, ports, policy, the pure decision, the monitor run
 * and the orchestrator. No AWS SDK, no Pulumi, no I/O: adapters plug in through the ports.
 */
export * from "./types";
export * from "./ports";
export * from "./errors";
export * from "./policy";
export * from "./decide";
export * from "./report";
export * from "./notifications";
export * from "./alerts";
export * from "./monitor";
export * from "./orchestrator";
