"""Convive notifier service:
live relay of events to browsers (SSE) and POS devices, e-mail and SMS.
"""
