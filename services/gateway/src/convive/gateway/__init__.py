"""Convive gateway service:
the web apps (guest, POS console, back office) and their same-origin API.
"""
