"""Where raw data comes from: local files and directories, S3 (or any S3-compatible endpoint)."""
