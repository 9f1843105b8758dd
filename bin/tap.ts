/**
 * Pulumi entry point (`main` in Pulumi.yaml): validate the config before declaring anything,
 * build the TapStack, export its outputs.
 */
import { loadConfig } from "../lib/config";
import { TapStack } from "../lib/tap-stack";

const config = loadConfig();
const stack = new TapStack(`tap-${config.environmentSuffix}`, { config });

export const primaryRegion = stack.primaryRegion;
export const replicaRegion = stack.replicaRegion;
export const drRegion = stack.drRegion;
export const primaryInstanceId = stack.primaryInstanceId;
export const primaryAddress = stack.primaryAddress;
export const primaryEndpoint = stack.primaryEndpoint;
export const primaryArn = stack.primaryArn;
export const replicaInstanceId = stack.replicaInstanceId;
export const replicaAddress = stack.replicaAddress;
export const replicaEndpoint = stack.replicaEndpoint;
export const replicaArn = stack.replicaArn;
export const primarySecurityGroupId = stack.primarySecurityGroupId;
export const replicaSecurityGroupId = stack.replicaSecurityGroupId;
export const monitorSecurityGroupId = stack.monitorSecurityGroupId;
export const drPrivateSubnetIds = stack.drPrivateSubnetIds;
export const hostedZoneId = stack.hostedZoneId;
export const writerRecordName = stack.writerRecordName;
export const readerRecordName = stack.readerRecordName;
export const primaryAlarmTopicArn = stack.primaryAlarmTopicArn;
export const drEventsTopicArn = stack.drEventsTopicArn;
export const primaryBackupBucketName = stack.primaryBackupBucketName;
export const primaryBackupBucketArn = stack.primaryBackupBucketArn;
export const drBackupBucketName = stack.drBackupBucketName;
export const drBackupBucketArn = stack.drBackupBucketArn;
export const primaryKmsKeyArn = stack.primaryKmsKeyArn;
export const drKmsKeyArn = stack.drKmsKeyArn;
export const masterSecretArn = stack.masterSecretArn;
export const primaryUnreachableAlarmName = stack.primaryUnreachableAlarmName;
export const monitorSilentAlarmName = stack.monitorSilentAlarmName;
export const metricsNamespace = stack.metricsNamespace;
export const monitorFunctionName = stack.monitorFunctionName;
export const failoverFunctionName = stack.failoverFunctionName;
export const failoverFunctionArn = stack.failoverFunctionArn;
export const bootstrapFunctionName = stack.bootstrapFunctionName;
export const bootstrapCommand = stack.bootstrapCommand;
