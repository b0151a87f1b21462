"""auth0-python 4.x (the hand-written client) against a live Rekey: only the domain changes.

Each endpoint class is made with ``protocol="http"`` (the test server's); nothing else differs
from a customer's code. Usage: python migration_calls_v4.py DOMAIN TOKEN CONNECTION CONNECTION_ID
"""

import json
import sys

from auth0.management.connections import Connections
from auth0.management.logs import Logs
from auth0.management.tickets import Tickets
from auth0.management.users import Users

domain, token, connection_name, connection_id = sys.argv[1:5]
users = Users(domain, token, protocol="http")
out: dict = {}
created = users.create(
    {
        "connection": connection_name,
        "email": "py4-migrated@example.com",
        "password": "Granite-Orbit-73!",
        "user_id": "py4f0c1a2b",
    }
)
out["created_user_id"] = created["user_id"]
out["fetched_email"] = users.get(created["user_id"])["email"]
users.update(created["user_id"], {"password": "Basalt-Harbour-91!"})
users.delete(created["user_id"])
out["deleted"] = True
connections = Connections(domain, token, protocol="http")
out["connection_names"] = [c["name"] for c in connections.all()]
out["connection_strategy"] = connections.get(connection_id)["strategy"]
logs = Logs(domain, token, protocol="http").search(q="type:sdu", include_totals=False)
out["log_types"] = [event["type"] for event in logs]
ticket = Tickets(domain, token, protocol="http").create_pswd_change(
    {"email": "ada@example.com", "connection_id": connection_id}
)
out["ticket"] = ticket["ticket"]
print(json.dumps(out))
