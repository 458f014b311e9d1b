"""Access: signed links and the key ring that signs them, users and passwords, the
login throttle."""
