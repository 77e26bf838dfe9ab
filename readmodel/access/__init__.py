"""Who may call the API and what each call did: users, revoked access tokens and API keys
(tables.py, auth_store.py), the append-only audit log (audit.py) and the settling of its open
calls from the workflows (audit_resolve.py)."""
