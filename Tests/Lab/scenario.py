#!/usr/bin/env python3
import argparse, json, sys
USERS = {
    "users": {
        "alice": {"password": "Alice-Pass-1", "grants": {"library/*": ["pull", "push"], "team-a/*": ["pull", "push"]}},
        "bob": {"password": "Bob-Pass-2", "grants": {"library/*": ["pull"], "team-b/*": ["pull", "push"]}},
        "carol": {"password": "Carol-Pass-3", "grants": {"library/*": ["pull", "push"], "team-a/*": ["pull"]}},
        "robot$ci": {"password": "ci-secret-4", "grants": {"library/*": ["pull", "push"]}},
        "robot$replicator": {"password": "repl-secret-5", "grants": {"*": ["pull", "push"]}},
    },
    "anonymous": {"library/*": ["pull"]},
    "admins": ["alice"],
}
ap = argparse.ArgumentParser()
ap.add_argument("--write-users")
a, _ = ap.parse_known_args()
if a.write_users:
    json.dump(USERS, open(a.write_users, "w"), indent=1)
