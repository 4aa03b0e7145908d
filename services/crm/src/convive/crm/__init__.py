"""Convive crm service:
customer records, search, merge, Excel import and export, customer timeline.
"""
