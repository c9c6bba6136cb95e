"""`vigil agent`: a log shipper that speaks the CloudWatch Logs API, to Vigil or to AWS."""
