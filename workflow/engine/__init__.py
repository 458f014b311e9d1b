"""The engine: the task state machine, the transitions with their audit and outbox
rows, task instances created in bulk, set operations, reports and closing a year."""
