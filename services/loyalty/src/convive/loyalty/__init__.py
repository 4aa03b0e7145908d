"""Convive loyalty service:
loyalty profiles, consent, codes, points ledger, rewards, ID cards and card links.
"""
