"""Read models: task queries, the status matrix and overdue list, and the Vietnamese
labels of what users read."""
