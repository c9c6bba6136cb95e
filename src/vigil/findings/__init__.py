"""The findings hub: store, aggregation, workflow, suppression, exporters."""
