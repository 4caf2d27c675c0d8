"""The integrity gate: guards against work made to look done (new skips and suppressions,
deleted or emptied tests, fewer tests run, weaker configuration, edited wrappers)."""
