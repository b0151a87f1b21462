"""Auth0's long-running jobs (users imports and exports): the row, the work, the task."""
