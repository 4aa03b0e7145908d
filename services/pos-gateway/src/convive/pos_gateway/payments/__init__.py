"""Payments from the guest's phone through a payment provider (hosted page + signed webhook)."""
