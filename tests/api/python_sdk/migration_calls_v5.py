"""auth0-python 5.x (the first generated client) against a live Rekey: only the base URL changes.

Usage: python migration_calls_v5.py DOMAIN TOKEN CONNECTION CONNECTION_ID
"""

import json
import sys

import httpx
from auth0.management import Auth0

domain, token, connection_name, connection_id = sys.argv[1:5]
out: dict = {}
with httpx.Client(timeout=30) as http:
    management = Auth0(base_url=f"http://{domain}/api/v2", token=token, httpx_client=http)
    created = management.users.create(
        connection=connection_name,
        email="py5-migrated@example.com",
        password="Granite-Orbit-73!",
        user_id="py5f0c1a2b",
    )
    out["created_user_id"] = created.user_id
    out["fetched_email"] = management.users.get(created.user_id).email
    management.users.update(created.user_id, password="Basalt-Harbour-91!")
    management.users.delete(created.user_id)
    out["deleted"] = True
    # Checkpoint pagination, one connection a page, every page followed (5.x raised before).
    out["connection_names"] = [c.name for c in management.connections.list(take=1)]
    out["connection_strategy"] = management.connections.get(connection_id).strategy
    out["log_types"] = [event.type for event in management.logs.list(search="type:sdu")]
    ticket = management.tickets.change_password(
        email="ada@example.com", connection_id=connection_id
    )
    out["ticket"] = ticket.ticket
print(json.dumps(out))
