"""The schedule: working days, the reminder ladder, the idempotent sweep, its runner, the
year view and the weekly digest's window."""
