"""table_session"""
