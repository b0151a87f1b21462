"""Tickets listen to accounts: any password change revokes the user's outstanding tickets."""
