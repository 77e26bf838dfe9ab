"""The delivery channels: each sends one message over its own protocol (base.py: the contract)."""
