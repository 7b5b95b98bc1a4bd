"""Profile look-ups shared by the web handlers and the nightly export script.

The export script is synchronous, so these helpers are too: harmless there, a stall
for every request in flight when a coroutine calls them.
"""
import json

import requests

PROFILE_API = "https://profiles.internal.example/api/v1"


def fetch_json(path):
    response = requests.get(f"{PROFILE_API}/{path}", timeout=5)
    response.raise_for_status()
    return response.json()


def load_profile(user_id):
    return fetch_json(f"users/{user_id}")


def profile_summary(profile):
    return json.dumps({"name": profile["name"], "plan": profile["plan"]})
