"""The event bus: EventBridge events, patterns, rules, targets and durable delivery."""
