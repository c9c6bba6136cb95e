// The AWS SDK for JavaScript v3 against a running vigil serve: CloudWatch Logs (JSON 1.1) and
// CloudWatch (the protocol this SDK version speaks). Prints one JSON document of what it saw.
// Usage: VIGIL_URL=… AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… node round_trip.mjs
import {
  CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand,
  GetLogEventsCommand, FilterLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  CloudWatchClient, PutMetricDataCommand, ListMetricsCommand, PutMetricAlarmCommand,
  DescribeAlarmsCommand,
} from "@aws-sdk/client-cloudwatch";

const config = { endpoint: process.env.VIGIL_URL, region: "eu-west-1" };
const logs = new CloudWatchLogsClient(config);
const cw = new CloudWatchClient(config);
const group = "js/app";
const out = {};

await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "s1" }));
const now = Date.now();
await logs.send(new PutLogEventsCommand({
  logGroupName: group, logStreamName: "s1",
  logEvents: [{ timestamp: now - 1000, message: "ERROR from js" }, { timestamp: now, message: "INFO from js" }],
}));
const got = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: "s1", startFromHead: true }));
out.messages = got.events.map((e) => e.message);
const errors = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: "ERROR" }));
out.filtered = errors.events.map((e) => e.message);

await cw.send(new PutMetricDataCommand({
  Namespace: "Js/App", MetricData: [{ MetricName: "Errors", Value: 2, Unit: "Count", Timestamp: new Date() }],
}));
out.metrics = (await cw.send(new ListMetricsCommand({ Namespace: "Js/App" }))).Metrics.map((m) => m.MetricName);
await cw.send(new PutMetricAlarmCommand({
  AlarmName: "js-errors", Namespace: "Js/App", MetricName: "Errors", Statistic: "Sum", Period: 60,
  EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold",
}));
const alarms = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["js-errors"] }));
out.alarms = alarms.MetricAlarms.map((a) => [a.AlarmName, a.StateValue, a.StateUpdatedTimestamp instanceof Date]);
try {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
} catch (err) {
  out.error = err.name;
}
console.log(JSON.stringify(out));
