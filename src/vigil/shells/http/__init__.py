"""`vigil serve`'s HTTP shell: the native API under /api/v1, the AWS-compatible endpoints (one
port, routed as AWS clients send requests), the push ingest endpoints, health and metrics.
Every route parses, makes one service-layer call and renders."""
