"""Live ingest for the server: the sources it follows, the lanes that bring their objects and
pushed records in (SQS, S3 polling, directories, pushes), and what runs on every committed
batch (routing to log groups, the event bus, detection of record rules)."""
