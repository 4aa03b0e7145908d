"""Convive ordering service: menus, shared carts, orders and rounds, concierge offer orders."""
