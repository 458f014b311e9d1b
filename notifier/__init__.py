"""E-mail delivery of the outbox's notification requests (see the notifier issue).

The engine already writes those requests (table `outbox`) in the same transaction as the
change that causes them; this package will send them.
"""
