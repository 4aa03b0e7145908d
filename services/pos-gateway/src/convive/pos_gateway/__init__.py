"""pos_gateway"""
