"""Convive pos-gateway service:
POS device pairing and feed, order validation, payments, PMS folio posting.
"""
